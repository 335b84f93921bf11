import { convert } from 'html-to-text';

// C0/C1 control characters other than tab and newline, and bidi overrides that could reorder a line.
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;

/** One line of plain text: no control characters, runs of white space folded to one space. */
export function cleanLine(s: string): string {
  return s.replace(CONTROL, '').replace(/\s+/g, ' ').trim();
}

/** Plain text of several lines (a teaser): no control or bidi-override characters, paragraphs kept. */
export function cleanText(s: string): string {
  return s.replace(CONTROL, '').replace(/[ \t]+/g, ' ').replace(/\n{3,}/g, '\n\n').trim();
}

/** Plain text from an HTML fragment (feeds carry HTML teasers): entities decoded, tags and images dropped. */
export function htmlToText(html: string): string {
  const text = convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'h2', options: { uppercase: false } },
      { selector: 'h3', options: { uppercase: false } },
    ],
  });
  return cleanText(text);
}

/** A teaser cut at a word boundary: feeds often carry the whole article where a teaser belongs. */
export function truncateText(s: string, max: number): string {
  if (s.length <= max) return s;
  const cut = s.slice(0, max).replace(/[\ud800-\udbff]$/, ''); // never half an emoji
  const space = cut.lastIndexOf(' ');
  return (space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s.,;:–—-]+$/, '') + '…';
}
