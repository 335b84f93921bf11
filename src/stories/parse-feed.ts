import type * as Feedsmith from 'feedsmith';
import { createRequire } from 'node:module';
import type { StoryKind } from '../db/index.js';
import { cleanLine, htmlToText, HtmlTooDeepError, truncateText } from './clean-text.js';
import { FEED_LIMITS, MAX_FEED_BYTES } from './feed-limits.js';
import { parseStoryItem, type ItemProblem, type ParsedBatch, type StoryInput } from './story-input.js';

export { MAX_FEED_BYTES } from './feed-limits.js';

// feedsmith (about 130 modules) is loaded by the first parse, not with this file: parsing runs in the
// worker thread (parse-in-worker.ts), and the main thread (serve, every CLI command) imports this
// file for FeedError only. require, not import(): the parse stays one synchronous call.
const require = createRequire(import.meta.url);
let feedsmith: typeof Feedsmith | undefined;
const loadFeedsmith = () => (feedsmith ??= require('feedsmith') as typeof Feedsmith);

export class FeedError extends Error {
  readonly code = 'FEED_INVALID';
  /** `reason`: what is wrong, without the source (the message starts with the source). */
  constructor(
    readonly source: string,
    readonly reason: string,
    readonly hint?: string,
  ) {
    super(`${source}: ${reason}${hint ? ` (${hint})` : ''}`);
    this.name = 'FeedError';
  }
}

type Text = string | { value?: string; type?: string } | undefined;
type Person = { name?: string; email?: string } | string;
// biome-ignore lint/suspicious/noExplicitAny: a parsed feed's shape is whatever the publisher wrote; each reader below checks what it takes.
type Loose = Record<string, any>;

function text(t: Text): string | undefined {
  if (t === undefined) return undefined;
  if (typeof t === 'string') return t;
  if (t.type === 'html' || t.type === 'xhtml') return htmlToText(t.value ?? '');
  return t.value;
}

function teaser(html: string | undefined): string | undefined {
  return html === undefined ? undefined : htmlToText(html);
}

function person(list: Person[] | undefined, fallback?: string[]): string | undefined {
  const names = (list ?? []).map((p) => (typeof p === 'string' ? p : (p.name ?? p.email ?? ''))).filter(Boolean);
  const all = names.length > 0 ? names : (fallback ?? []);
  return all.length > 0 ? cleanLine(all.join(', ')) : undefined;
}

function imageOf(item: Loose): string | undefined {
  const media = [...(item.media?.contents ?? []), ...(item.media?.group?.contents ?? [])] as Loose[];
  const fromMedia = media.find((m) => m.medium === 'image' || String(m.type ?? '').startsWith('image/'))?.url;
  const thumb = (item.media?.thumbnails as Loose[] | undefined)?.[0]?.url;
  const enclosure = ((item.enclosures ?? (item.enclosure ? [item.enclosure] : [])) as Loose[]).find((e) =>
    String(e.type ?? '').startsWith('image/'),
  )?.url;
  return fromMedia ?? thumb ?? enclosure ?? item.image ?? undefined;
}

function fromRss(item: Loose): Record<string, unknown> {
  return {
    url: item.link ?? (item.guid?.isPermaLink !== false ? item.guid?.value : undefined),
    title: item.title !== undefined ? cleanLine(item.title) : undefined,
    summary: teaser(item.description ?? item.content?.encoded),
    byline: person(item.authors, item.dc?.creators),
    section: item.categories?.[0]?.name,
    image_url: imageOf(item),
    published_at: item.pubDate ?? item.dc?.dates?.[0] ?? item.dc?.date,
    comments: item.slash?.comments,
  };
}

function fromAtom(entry: Loose): Record<string, unknown> {
  const links = (entry.links ?? []) as Loose[];
  const link = links.find((l) => !l.rel || l.rel === 'alternate') ?? links[0];
  return {
    url: link?.href,
    title: text(entry.title) !== undefined ? cleanLine(text(entry.title)!) : undefined,
    summary: text(entry.summary) ?? text(entry.content),
    byline: person(entry.authors),
    section: entry.categories?.[0]?.label ?? entry.categories?.[0]?.term,
    image_url: imageOf(entry),
    // Atom requires `updated`; `published` is optional. The first time it appeared is what ranks.
    published_at: entry.published ?? entry.updated,
    updated_at: entry.updated,
    comments: entry.thr?.total,
  };
}

function fromJsonFeed(item: Loose): Record<string, unknown> {
  return {
    url: item.url ?? item.external_url,
    title: item.title !== undefined ? cleanLine(item.title) : undefined,
    summary: item.summary ?? (item.content_html ? htmlToText(item.content_html) : item.content_text),
    byline: person(item.authors),
    section: item.tags?.[0],
    image_url: item.image ?? item.banner_image,
    published_at: item.date_published ?? item.date_modified,
    updated_at: item.date_modified,
  };
}

/**
 * Stories from an RSS 2.0, RSS 1.0 (RDF), Atom or JSON Feed document, parsed by feedsmith (which
 * returns dates raw: they are validated here like any other input). Items missing a link or title are
 * reported by position; the rest are kept.
 */
export function parseFeedDocument(
  document: string,
  options: { source: string; kind?: StoryKind; now?: Date },
): ParsedBatch & { format: string } {
  if (Buffer.byteLength(document) > MAX_FEED_BYTES) {
    throw new FeedError(options.source, `feed is larger than ${MAX_FEED_BYTES / 1024 / 1024} MB`);
  }
  if (/<!ENTITY/i.test(document)) {
    // Entity declarations are how XML bombs (billion laughs) and external-entity reads start;
    // no real news feed needs them.
    throw new FeedError(options.source, 'feed declares XML entities (<!ENTITY>), which are refused');
  }
  let parsed: ReturnType<typeof Feedsmith.parseFeed>;
  try {
    parsed = loadFeedsmith().parseFeed(document);
  } catch (err) {
    throw new FeedError(options.source, `not an RSS, Atom, RDF or JSON feed: ${(err as Error).message}`);
  }
  const feed = parsed.feed as Loose;
  const [entries, toFields] =
    parsed.format === 'atom'
      ? [(feed.entries ?? []) as Loose[], fromAtom]
      : parsed.format === 'json'
        ? [(feed.items ?? []) as Loose[], fromJsonFeed]
        : [(feed.items ?? []) as Loose[], fromRss];

  const items: StoryInput[] = [];
  const problems: ItemProblem[] = [];
  const defaults = { kind: options.kind ?? 'story', source: options.source, now: options.now ?? new Date() };
  entries.slice(0, FEED_LIMITS.items).forEach((entry, index) => {
    const clean = Object.fromEntries(
      Object.entries(itemFields(entry, index, toFields, options.source)).filter(([, v]) => v !== undefined && v !== null),
    );
    if (typeof clean.summary === 'string') clean.summary = truncateText(clean.summary, FEED_LIMITS.teaserText);
    const r = parseStoryItem(clean, index, defaults);
    if (r.ok) items.push(r.input);
    else problems.push(...r.problems);
  });
  if (entries.length > FEED_LIMITS.items) {
    problems.push({
      index: FEED_LIMITS.items,
      url: undefined,
      field: '(feed)',
      message: `the feed has ${entries.length} items; only the first ${FEED_LIMITS.items} were read`,
    });
  }
  return { items, problems, format: parsed.format };
}

/** One item's fields; HTML nested like an attack refuses the whole feed, naming the item. */
function itemFields(entry: Loose, index: number, toFields: (entry: Loose) => Record<string, unknown>, source: string) {
  try {
    return toFields(entry);
  } catch (err) {
    if (err instanceof HtmlTooDeepError) throw new FeedError(source, `item ${index + 1}: ${err.message}; the feed is refused`);
    throw err;
  }
}
