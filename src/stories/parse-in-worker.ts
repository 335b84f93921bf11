import { Worker } from 'node:worker_threads';
import { FEED_LIMITS } from './feed-limits.js';
import type { ParsedDocument, ParseOptions } from './parse-document.js';
import { FeedError } from './parse-feed.js';
import type { WorkerAnswer } from './parse-worker.js';

// Compiled (dist/, what the service runs), the worker starts from parse-worker.js. Run from the
// TypeScript sources (vitest, tsx), it starts from a boot file that registers tsx first: a worker has a
// module loader of its own, which the parent's TypeScript hooks do not reach.
let workerEntry: URL = import.meta.url.endsWith('.ts')
  ? new URL('./parse-worker.boot.mjs', import.meta.url)
  : new URL('./parse-worker.js', import.meta.url);

/**
 * Starts the parser from `entry` from now on. The test suite points it at the compiled
 * dist/stories/parse-worker.js, which its global setup has just built from today's sources and which
 * production runs: from the sources, every worker registers tsx and transforms the parser again on its
 * own thread, 0.6 s of CPU per document against 0.16 s compiled, for the hundreds the suite parses.
 */
export function setParseWorkerEntry(entry: URL): void {
  workerEntry = entry;
}

/**
 * Parses a stories document (JSON array or feed) in a worker thread, so that no feed can stall the
 * event loop that serves /healthz, sign-ups and deliveries. The worker is bounded in time
 * (FEED_LIMITS.parseMs, then terminated) and heap (FEED_LIMITS.parseHeapMb); the document is refused
 * with one line when it runs out of either.
 *
 * Why a worker and not bounded slices with setImmediate yields: feedsmith parses a whole document in
 * one synchronous call, which no slicing can interrupt, and only a worker can be stopped half-way.
 * A fresh worker per document keeps nothing between feeds (a feed that exhausted one worker cannot
 * slow the next); starting one costs 0.7-1 s of another core on a busy 2-core machine (zod, feedsmith
 * and html-to-text; from the sources, tsx about 0.2 s more), which a poll every 30 minutes can afford.
 */
export function parseInWorker(text: string, options: ParseOptions): Promise<ParsedDocument> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerEntry, {
      workerData: { text, options },
      // The parent's flags (vitest's, a debugger's) are not the worker's business.
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: FEED_LIMITS.parseHeapMb },
    });
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      outcome();
    };
    const refuse = (reason: string, hint?: string) => settle(() => reject(new FeedError(options.source, reason, hint)));
    const timer = setTimeout(
      () => refuse(`took longer than ${FEED_LIMITS.parseMs / 1000} s to parse; the feed is refused`),
      FEED_LIMITS.parseMs,
    );
    worker.on('message', (answer: WorkerAnswer) => (answer.ok ? settle(() => resolve(answer.result)) : refuse(answer.reason, answer.hint)));
    worker.on('error', (err: Error & { code?: string }) =>
      err.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? refuse(`needed more than ${FEED_LIMITS.parseHeapMb} MB to parse; the feed is refused`)
        : refuse(`could not be parsed: ${err.message}`),
    );
    worker.on('exit', (code) => refuse(`could not be parsed (the parser stopped with code ${code})`));
  });
}
