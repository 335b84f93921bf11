import { parentPort, workerData } from 'node:worker_threads';
import { parseStoriesDocument, type ParseOptions } from './parse-document.js';
import { FeedError } from './parse-feed.js';

/**
 * The worker side of parse-in-worker.ts: parses one document and posts the result (or why it was
 * refused) back. Structured clone carries the items' dates as Dates.
 */
export type WorkerAnswer =
  | { readonly ok: true; readonly result: ReturnType<typeof parseStoriesDocument> }
  | { readonly ok: false; readonly reason: string; readonly hint?: string | undefined };

const { text, options } = workerData as { text: string; options: ParseOptions };
let answer: WorkerAnswer;
try {
  answer = { ok: true, result: parseStoriesDocument(text, options) };
} catch (err) {
  if (err instanceof FeedError) answer = { ok: false, reason: err.reason, hint: err.hint };
  else if (err instanceof RangeError) answer = { ok: false, reason: 'is nested too deeply to parse' };
  else answer = { ok: false, reason: `could not be parsed: ${(err as Error).message}` };
}
parentPort!.postMessage(answer);
