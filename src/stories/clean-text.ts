import type * as HtmlToText from 'html-to-text';
import { createRequire } from 'node:module';
import { FEED_LIMITS } from './feed-limits.js';

// C0/C1 control characters other than tab and newline, and bidi overrides that could reorder a line.
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;

/** One line of plain text: no control characters, runs of white space folded to one space. */
export function cleanLine(s: string): string {
  return s.replace(CONTROL, '').replace(/\s+/g, ' ').trim();
}

/** Plain text of several lines (a teaser): no control or bidi-override characters, paragraphs kept. */
export function cleanText(s: string): string {
  return s
    .replace(CONTROL, '')
    .replace(/[ \t]+/g, ' ')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** An HTML fragment that nests deeper than any real teaser: the feed carrying it is refused. */
export class HtmlTooDeepError extends Error {
  readonly code = 'HTML_TOO_DEEP';
  constructor(readonly limit: number) {
    super(`HTML nests more than ${limit} elements deep`);
    this.name = 'HtmlTooDeepError';
  }
}

// Elements that never nest (void) or close themselves when a sibling opens (optional end tags):
// `<p>a<p>b` is two paragraphs side by side, not one inside the other.
const FLAT = new Set(
  'area base br col embed hr img input link meta param source track wbr p li dt dd option optgroup tr td th thead tbody tfoot colgroup rt rp'.split(
    ' ',
  ),
);

/**
 * How deep the elements of an HTML fragment nest, counted in one linear pass over its tags (stopping
 * once past `stopAfter`). An estimate, not a parser: it exists so that html-to-text, whose cost grows
 * faster than linearly with depth, never sees an attack's 200,000 levels.
 */
export function htmlNestingDepth(html: string, stopAfter = Infinity): number {
  // `[^<>]*` and not `[^>]*`: a run of `<a<a<a…` without any `>` must not be rescanned from each `<`.
  const tag = /<(\/?)([a-zA-Z][\w:-]*)[^<>]*>/g;
  let depth = 0;
  let max = 0;
  for (let m = tag.exec(html); m; m = tag.exec(html)) {
    if (FLAT.has(m[2]!.toLowerCase())) continue;
    if (m[1]) depth = Math.max(0, depth - 1);
    else if (!m[0].endsWith('/>')) {
      depth += 1;
      max = Math.max(max, depth);
      if (max > stopAfter) break;
    }
  }
  return max;
}

// Compiled once, on first use: html-to-text's convert() with options compiles them on every call (3 ms
// per item). Loaded then too (require keeps htmlToText synchronous): feeds are parsed in the worker
// thread, and the main thread imports this file for cleanLine and cleanText only.
let toText: ((html: string) => string) | undefined;
const compiledToText = () => (toText ??= (createRequire(import.meta.url)('html-to-text') as typeof HtmlToText).compile(TO_TEXT));
const TO_TEXT: HtmlToText.HtmlToTextOptions = {
  wordwrap: false,
  // maxInputLength equals the cut in htmlToText, so html-to-text never truncates (and never writes to stderr).
  limits: {
    maxInputLength: FEED_LIMITS.teaserHtml,
    maxDepth: FEED_LIMITS.htmlDepth,
    maxChildNodes: FEED_LIMITS.htmlChildNodes,
    ellipsis: '…',
  },
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'h1', options: { uppercase: false } },
    { selector: 'h2', options: { uppercase: false } },
    { selector: 'h3', options: { uppercase: false } },
  ],
};

/**
 * Plain text from an HTML fragment (feeds carry HTML teasers): entities decoded, tags and images
 * dropped. The work is bounded: the input is cut to FEED_LIMITS.teaserHtml characters, a fragment
 * nested deeper than FEED_LIMITS.htmlDepth throws HtmlTooDeepError, and html-to-text's own limits
 * (depth, children per element) stop it rendering more than a teaser needs.
 */
export function htmlToText(html: string): string {
  const input = html.length > FEED_LIMITS.teaserHtml ? html.slice(0, FEED_LIMITS.teaserHtml) : html;
  if (htmlNestingDepth(input, FEED_LIMITS.htmlDepth) > FEED_LIMITS.htmlDepth) throw new HtmlTooDeepError(FEED_LIMITS.htmlDepth);
  const text = compiledToText()(input);
  return cleanText(text);
}

/** A teaser cut at a word boundary: feeds often carry the whole article where a teaser belongs. */
export function truncateText(s: string, max: number): string {
  if (s.length <= max) return s;
  const cut = s.slice(0, max).replace(/[\ud800-\udbff]$/, ''); // never half an emoji
  const space = cut.lastIndexOf(' ');
  return (space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s.,;:–—-]+$/, '') + '…';
}
