import type { Engine } from '../db/index.js';

/**
 * How many delivery workers a process runs, from how many were asked for (WORKERS, --concurrency):
 * on PGlite one at most, since the embedded database is a single connection and a second worker
 * would only queue behind the first; on PostgreSQL as many as asked. Zero stays zero (WORKERS=0:
 * `digest serve` sends nothing itself, `digest worker` processes do).
 */
export function workerCount(engine: Engine, wanted: number): number {
  return engine === 'pglite' ? Math.min(1, wanted) : wanted;
}
