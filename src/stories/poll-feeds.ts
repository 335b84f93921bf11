import type { Logger } from '../config/index.js';
import type { Db, StoryKind } from '../db/index.js';
import type { FeedFetchOptions } from './feed-fetch.js';
import { importStories, type ImportResult } from './import-stories.js';
import { describeProblem } from './story-input.js';
import { logOwnedElsewhere } from './story-source.js';

export interface FeedSource {
  readonly url: string;
  readonly kind: StoryKind;
}

/**
 * FEED_URLS entries are feed URLs; `#kind=blog` at the end marks a feed of blog posts (the fragment is
 * never sent to the feed's server).
 */
export function feedSource(entry: string): FeedSource {
  const u = new URL(entry);
  const kind = new URLSearchParams(u.hash.slice(1)).get('kind') === 'blog' ? 'blog' : 'story';
  u.hash = '';
  return { url: u.toString(), kind };
}

export type FeedPollResult = { url: string; ok: true; result: ImportResult } | { url: string; ok: false; error: string };

/**
 * Polls every feed once; one failing feed (unreachable, refused by the SSRF guard, over a limit) is
 * logged with one line naming it and never stops the others. `fetch.allowPrivate` is FEED_ALLOW_PRIVATE.
 */
export async function pollFeeds(
  db: Db,
  entries: readonly string[],
  log: Logger,
  options: { sourceOverride?: readonly string[]; fetch?: FeedFetchOptions } = {},
): Promise<FeedPollResult[]> {
  const results: FeedPollResult[] = [];
  for (const entry of entries) {
    const source = feedSource(entry);
    try {
      const result = await importStories(db, source.url, {
        kind: source.kind,
        source: source.url,
        sourceOverride: options.sourceOverride ?? [],
        fetch: options.fetch,
      });
      log.info(
        {
          event: 'feed.polled',
          feed: source.url,
          inserted: result.inserted,
          updated: result.updated,
          duplicates: result.duplicates,
          rejected: result.problems.length,
        },
        'feed polled',
      );
      logOwnedElsewhere(log, result.ownedElsewhere);
      for (const p of result.problems.slice(0, 20)) log.warn({ event: 'feed.item_rejected', feed: source.url }, describeProblem(p));
      results.push({ url: source.url, ok: true, result });
    } catch (err) {
      log.error({ event: 'feed.failed', feed: source.url, err: (err as Error).message }, 'feed poll failed');
      results.push({ url: source.url, ok: false, error: (err as Error).message });
    }
  }
  return results;
}
