import type { StoryKind } from '../db/index.js';
import { FeedError, parseFeedDocument } from './parse-feed.js';
import { parseStoryBatch, type ItemProblem, type StoryInput } from './story-input.js';

export interface ParsedDocument {
  readonly format: string;
  readonly items: StoryInput[];
  readonly problems: ItemProblem[];
}

export interface ParseOptions {
  readonly source: string;
  readonly kind?: StoryKind | undefined;
  readonly now?: Date | undefined;
}

/**
 * Parses a document that is either a JSON array of stories or a feed (RSS, Atom, RDF, JSON Feed).
 * Synchronous and CPU-bound: the service and the CLI run it in a worker (parse-in-worker.ts).
 */
export function parseStoriesDocument(text: string, options: ParseOptions): ParsedDocument {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch (err) {
      throw new FeedError(options.source, `is not valid JSON: ${(err as Error).message}`);
    }
    const isJsonFeed =
      typeof json === 'object' &&
      json !== null &&
      !Array.isArray(json) &&
      String((json as { version?: unknown }).version ?? '').includes('jsonfeed');
    if (!isJsonFeed) return { format: 'json', ...parseStoryBatch(json, options) };
  }
  return parseFeedDocument(text, options);
}
