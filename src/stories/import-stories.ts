import type { Db, StoryKind } from '../db/index.js';
import { loadDocument } from './load-document.js';
import { FeedError, parseFeedDocument } from './parse-feed.js';
import { parseStoryBatch, type ItemProblem } from './story-input.js';
import { sourceOfLocation } from './story-source.js';
import { upsertStories, type UpsertResult } from './upsert-stories.js';

export interface ImportResult extends UpsertResult {
  readonly format: string;
  readonly problems: ItemProblem[];
}

/** Parses a document that is either a JSON array of stories or a feed (RSS, Atom, RDF, JSON Feed). */
export function parseStoriesDocument(text: string, options: { source: string; kind?: StoryKind; now?: Date }) {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch (err) {
      throw new FeedError(options.source, `is not valid JSON: ${(err as Error).message}`);
    }
    const isJsonFeed =
      typeof json === 'object' && json !== null && !Array.isArray(json) && String((json as { version?: unknown }).version ?? '').includes('jsonfeed');
    if (!isJsonFeed) {
      const defaults = { source: options.source, ...(options.kind ? { kind: options.kind } : {}), ...(options.now ? { now: options.now } : {}) };
      return { format: 'json', ...parseStoryBatch(json, defaults) };
    }
  }
  return parseFeedDocument(text, options);
}

/** `digest stories import FILE|URL` and feed polling: load, parse, keep the good items, report the bad. */
export async function importStories(
  db: Db,
  location: string,
  options: { kind?: StoryKind; source?: string; now?: Date; sourceOverride?: readonly string[] } = {},
): Promise<ImportResult> {
  const text = await loadDocument(location);
  // Problems name the location as given (a path); the stories record the source that owns them.
  const parsed = parseStoriesDocument(text, { ...options, source: options.source ?? location });
  const source = options.source ?? sourceOfLocation(location);
  const items = parsed.items.map((i) => (i.story.source === source ? i : { ...i, story: { ...i.story, source } }));
  const result = await upsertStories(db, items, { sourceOverride: options.sourceOverride ?? [] });
  return { ...result, format: parsed.format, problems: parsed.problems };
}
