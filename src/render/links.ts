/**
 * The links of a rendered part, as preflight reads them. One home for both patterns, because the
 * render must find exactly what preflight will find: the addresses story text quotes.
 */
const decodeAttr = (s: string) =>
  s
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');

/** href and src values of the HTML (MJML writes attributes double-quoted). */
export function htmlLinks(html: string): string[] {
  return [...html.matchAll(/\s(?:href|src|background)\s*=\s*"([^"]*)"/gi)].map((m) => decodeAttr(m[1]!));
}

/** Anything URL-shaped in plain text (`scheme://…`), without the sentence's closing punctuation. */
export function textLinks(text: string): string[] {
  return [...text.matchAll(/\b[a-z][a-z0-9+.-]*:\/\/[^\s<>"]+/gi)].map((x) => x[0].replace(/[.,;:!?)\]']+$/, ''));
}
