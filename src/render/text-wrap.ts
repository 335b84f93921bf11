/**
 * The plain-text part, wrapped at 78 characters a line (RFC 5322's SHOULD; clients that do not
 * re-flow show longer lines as they are). A line keeps its indent on the lines it wraps onto.
 * URLs (and the %%markers%% that become them) are never broken, so a line holding one may run
 * longer; any other word too long for a line is cut, as no client could show it otherwise.
 * Only spaces and tabs break: a no-break space (French puts one before ":" and "?") holds.
 */
export const TEXT_WIDTH = 78;

const UNBREAKABLE = /:\/\/|%%[a-z_]+%%/;

function length(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Cuts `word` into pieces of at most `max` characters (never half a surrogate pair). */
function pieces(word: string, max: number): string[] {
  const chars = [...word];
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += max) out.push(chars.slice(i, i + max).join(''));
  return out;
}

export function wrapLine(line: string, width = TEXT_WIDTH): string {
  if (length(line) <= width) return line;
  const indent = /^[ \t]*/.exec(line)![0];
  const room = Math.max(10, width - length(indent));
  const lines: string[] = [];
  let current = '';
  for (const word of line
    .slice(indent.length)
    .split(/[ \t]+/)
    .filter(Boolean)) {
    const parts = length(word) > room && !UNBREAKABLE.test(word) ? pieces(word, room) : [word];
    for (const part of parts) {
      if (current && length(current) + 1 + length(part) > room) {
        lines.push(indent + current);
        current = part;
      } else current = current ? `${current} ${part}` : part;
    }
  }
  if (current) lines.push(indent + current);
  return lines.join('\n');
}

/** Every line of `text` wrapped at `width`. */
export function wrapText(text: string, width = TEXT_WIDTH): string {
  return text
    .split('\n')
    .map((line) => wrapLine(line, width))
    .join('\n');
}

/**
 * A mail's text part from its filled text template: blank runs the template's conditionals leave
 * closed up, wrapped at 78 (links whole), one final newline. The one rule for every mail we write.
 */
export function textPart(filled: string): string {
  return `${wrapText(filled.replace(/\n{3,}/g, '\n\n').trim())}\n`;
}
