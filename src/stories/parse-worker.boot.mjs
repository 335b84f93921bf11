// Entry of the feed-parsing worker thread (parse-in-worker.ts). A worker has a module loader of its
// own, so the TypeScript hooks that bin/digest.js registers in the main thread do not reach it: it
// registers tsx itself, resolved from this file (not from the working directory), then loads the parser.
import { register } from 'tsx/esm/api';

register();
await import('./parse-worker.ts');
