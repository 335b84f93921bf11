import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseStoriesDocument } from '../../src/stories/index.js';
import { parseInWorker, setParseWorkerEntry } from '../../src/stories/parse-in-worker.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/feeds/${name}`, import.meta.url), 'utf8');
const NOW = new Date('2019-05-15T12:00:00Z');
const SOURCE_ENTRY = new URL('../../src/stories/parse-worker.boot.mjs', import.meta.url);
const COMPILED_ENTRY = new URL('../../dist/stories/parse-worker.js', import.meta.url);

/**
 * The suite parses with the compiled worker (test/setup.ts); tsx runs (the benchmarks) start it from
 * the sources. Both must give what the parser gives in the calling thread, and refuse alike.
 */
describe('the feed-parsing worker, from its sources and compiled', () => {
  afterEach(() => setParseWorkerEntry(COMPILED_ENTRY));

  it.each([
    ['sources', SOURCE_ENTRY],
    ['dist/', COMPILED_ENTRY],
  ])('parses a feed from %s as the parser does in this thread, dates included', async (_name, entry) => {
    setParseWorkerEntry(entry);
    const options = { source: 'news.rss', now: NOW };
    const inWorker = await parseInWorker(fixture('news.rss'), options);
    const here = parseStoriesDocument(fixture('news.rss'), options);
    expect(inWorker.items.length).toBeGreaterThan(0);
    expect(inWorker).toEqual(here);
    await expect(parseInWorker('<rss', { source: 'broken.rss' })).rejects.toThrow(/broken\.rss/);
  });
});
