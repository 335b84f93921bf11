// Entry of the feed-parsing worker thread (parse-in-worker.ts) when the code runs from its TypeScript
// sources (vitest, tsx); compiled, the worker starts from dist/stories/parse-worker.js instead. A worker
// has a module loader of its own, so the TypeScript hooks of the main thread do not reach it: it
// registers tsx itself, resolved from this file (not from the working directory), then loads the parser.
import { register } from 'tsx/esm/api';

register();
await import('./parse-worker.ts');
