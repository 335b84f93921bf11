import { setParseWorkerEntry } from '../src/stories/parse-in-worker.js';

/**
 * Before each test file. Feeds and story files are parsed in a worker thread; from the TypeScript
 * sources each worker would register tsx and transform the parser on its own (0.6 s of CPU a document,
 * 0.16 s compiled). The suite parses with the compiled worker production runs, which the global setup
 * (test/global-setup.ts) has just built from today's sources. test/unit/stories.parse-worker-entry.test.ts
 * proves the source entry, which tsx runs (the benchmarks), parses the same.
 */
setParseWorkerEntry(new URL('../dist/stories/parse-worker.js', import.meta.url));
