import type { Db, StoryKind } from '../db/index.js';
import { loadDocument } from './load-document.js';
import type { FeedFetchOptions } from './feed-fetch.js';
import { parseInWorker } from './parse-in-worker.js';
import type { ItemProblem } from './story-input.js';
import { sourceOfLocation } from './story-source.js';
import { upsertStories, type UpsertResult } from './upsert-stories.js';

export interface ImportResult extends UpsertResult {
  readonly format: string;
  readonly problems: ItemProblem[];
}

export { parseStoriesDocument } from './parse-document.js';

/**
 * `digest stories import FILE|URL` and feed polling: load (URLs through the SSRF guard), parse in a
 * worker thread (bounded in time and memory), keep the good items, report the bad.
 */
export async function importStories(
  db: Db,
  location: string,
  options: { kind?: StoryKind; source?: string; now?: Date; sourceOverride?: readonly string[]; fetch?: FeedFetchOptions } = {},
): Promise<ImportResult> {
  const text = await loadDocument(location, options.fetch);
  // Problems name the location as given (a path); the stories record the source that owns them.
  const parsed = await parseInWorker(text, { kind: options.kind, now: options.now, source: options.source ?? location });
  const source = options.source ?? sourceOfLocation(location);
  const items = parsed.items.map((i) => (i.story.source === source ? i : { ...i, story: { ...i.story, source } }));
  const result = await upsertStories(db, items, { sourceOverride: options.sourceOverride ?? [] });
  return { ...result, format: parsed.format, problems: parsed.problems };
}
