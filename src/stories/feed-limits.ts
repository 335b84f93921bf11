/**
 * How much work one feed may cost, in one place. A feed is a list of recent teasers: every limit below
 * is far above what a real news or blog feed carries and far below what makes parsing slow. A feed
 * over a limit that marks it as hostile is refused with one line naming the limit; one whose size only
 * needs trimming (too many items, a whole article where a teaser belongs) is cut and the cut reported.
 */
export const FEED_LIMITS = {
  /** Documents larger than this are refused before they are read whole (file) or downloaded (URL). */
  bytes: 5 * 1024 * 1024,
  /** Items read from one feed; the rest are reported as skipped (feeds list their newest first). */
  items: 1000,
  /**
   * Characters of one teaser's HTML handed to html-to-text; the rest is cut before parsing. Its cost
   * grows faster than linearly with nesting (80k levels took 8 s), so the input is what bounds it.
   * 50,000 characters hold far more than the 1,000 characters of text a teaser keeps.
   */
  teaserHtml: 50_000,
  /** Characters of text kept per teaser: some feeds carry the whole article. */
  teaserText: 1000,
  /**
   * Element nesting beyond this refuses the feed: browsers' HTML parsers stop nesting at 512, and no
   * teaser comes near it; 200,000 nested <a> is an attack.
   */
  htmlDepth: 512,
  /** html-to-text renders at most this many children of one element (a teaser keeps 1,000 characters). */
  htmlChildNodes: 256,
  /**
   * Wall-clock time for parsing one document in its worker thread; past it the worker is terminated
   * and the feed refused. Real feeds of 1,000 items parse in well under a second.
   */
  parseMs: 15_000,
  /** Heap for the parsing worker: a 5 MB feed of 100,000 tiny items needs about 200 MB as objects. */
  parseHeapMb: 512,
  /** One fetch, redirects included, must finish within this. */
  fetchMs: 15_000,
  /** Redirects followed per fetch; every hop is checked like the first. */
  redirects: 5,
} as const;

/** The feed-size limit under its old name, kept for the callers and tests that name it. */
export const MAX_FEED_BYTES = FEED_LIMITS.bytes;
