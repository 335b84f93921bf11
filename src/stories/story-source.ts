import { printableLine } from './story-input.js';

/**
 * Where a story came from (stories.source), and so who may change it. A story keyed by URL belongs
 * to the source that created it: that source's later copies update it; another source's copy of the
 * same URL is a duplicate that changes nothing (upsert-stories.ts), unless STORY_SOURCE_OVERRIDE
 * lets that source take the story over.
 *
 * The sources:
 * - `api`: POST /api/stories (a CMS, a script);
 * - `file`: `digest stories import FILE`, every local file alike, so a renamed or moved export
 *   still updates its own stories;
 * - a feed's URL (no fragment): FEED_URLS polling and `digest stories import URL` of that feed;
 * - `demo`: the demo's seeded stories.
 */
export const API_SOURCE = 'api';
export const FILE_SOURCE = 'file';
export const DEMO_SOURCE = 'demo';

/** The source a document's stories are recorded with: a feed's own URL, or `file` for a local file. */
export function sourceOfLocation(location: string): string {
  if (!/^https?:\/\//i.test(location)) return FILE_SOURCE;
  const u = new URL(location);
  u.hash = '';
  return u.toString();
}

/** An item that changed nothing because its URL belongs to another source. */
export interface OwnedElsewhere {
  readonly url: string;
  /** The source of the refused item. */
  readonly source: string;
  /** The source that created the story and alone may update it. */
  readonly owner: string;
}

/** One line for an operator: the URL and both sources, safe to print (no CR/LF from a hostile feed). */
export function describeOwnedElsewhere(d: OwnedElsewhere): string {
  const [url, owner, source] = [d.url, d.owner, d.source].map((s) => printableLine(s, 300));
  return `${url} belongs to ${owner}; the copy from ${source} changed nothing (STORY_SOURCE_OVERRIDE lets a source update others' stories)`;
}

/** At most this many lines per batch; a feed that repeats 500 API stories every poll says so once, in the count. */
const MAX_LOGGED = 20;

/** Logs each duplicate from another source as `story.duplicate_source`, naming the URL and both sources. */
export function logOwnedElsewhere(log: { warn(obj: object, msg: string): void }, duplicates: readonly OwnedElsewhere[]): void {
  for (const d of duplicates.slice(0, MAX_LOGGED)) {
    log.warn({ event: 'story.duplicate_source', url: d.url, source: d.source, owner: d.owner }, describeOwnedElsewhere(d));
  }
  if (duplicates.length > MAX_LOGGED) {
    log.warn(
      { event: 'story.duplicate_source', more: duplicates.length - MAX_LOGGED },
      `and ${duplicates.length - MAX_LOGGED} more stories of other sources left unchanged`,
    );
  }
}
