/**
 * Escaping on the way in. Story and subscriber text is untrusted: it is escaped for HTML, and any
 * `%%` in it is broken up so that no story can forge a personal placeholder (placeholders.ts), which
 * personalise() would otherwise fill with a reader's unsubscribe link.
 */
const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or attribute value → HTML (safe in element content and in double- or single-quoted attributes). */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]!).replace(/%%/g, '%&#37;');
}

/** Text for the plain-text part: no entities, but no forged placeholders and no control characters. */
export function escapeText(value: string): string {
  return value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').replace(/%%/g, '%\u200b%');
}

/** One line of header text (a subject): no CR/LF (header injection), collapsed whitespace. */
export function headerText(value: string): string {
  return escapeText(value).replace(/\s+/g, ' ').trim();
}

/** The URL when it is absolute http(s), normalised; otherwise undefined (javascript:, data:, relative…). */
export function safeHttpUrl(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value.trim());
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    if (url.username || url.password) return undefined;
    return url.toString();
  } catch {
    return undefined;
  }
}

/** Cuts text to at most `max` characters at a word boundary, ending with an ellipsis when cut. */
export function truncate(value: string, max: number): string {
  const text = value.replace(/\s+/g, ' ').trim();
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1).replace(/[\ud800-\udbff]$/, ''); // never half an emoji
  const space = cut.lastIndexOf(' ');
  return (space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,;:.\-–—]+$/, '') + '…';
}

/**
 * Word-wraps plain text at `width` columns (URLs and long words are never broken, nor a no-break
 * space: French puts one before `:` and `?`).
 */
export function wrap(value: string, width = 76, indent = ''): string {
  const lines: string[] = [];
  let line = '';
  for (const word of value.split(/[^\S\u00a0\u2007\u202f]+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width - indent.length) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines.join('\n');
}
