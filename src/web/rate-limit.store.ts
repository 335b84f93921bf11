import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Db } from '../db/index.js';
import { hitRateLimit } from '../subscribers/index.js';

/**
 * A @fastify/rate-limit store on PostgreSQL, so the sign-up limits hold across every instance
 * sharing the database (its LocalStore counts per process). Used when DATABASE_URL is set; the
 * embedded engine is one process, where the in-memory store is the same thing.
 */
export function postgresRateLimitStore(db: Db, prefix: string): FastifyRateLimitStoreCtor {
  class PostgresStore implements FastifyRateLimitStore {
    // The plugin constructs it with its options, which this store does not need.
    constructor(
      _options?: unknown,
      private readonly scope: string = prefix,
    ) {}
    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
      hitRateLimit(db, `${this.scope}:${key}`, timeWindow).then(
        (r) => callback(null, { current: r.hits, ttl: r.ttlMs }),
        (err: Error) => callback(err),
      );
    }
    /** One count per limit, as LocalStore keeps one per route: a limit's route, size and window name it. */
    child(options: { routeInfo?: { url?: string }; url?: string; max?: unknown; timeWindow?: unknown }): FastifyRateLimitStore {
      return new PostgresStore(
        undefined,
        `${prefix}:${options.routeInfo?.url ?? options.url ?? ''}:${String(options.max)}:${String(options.timeWindow)}`,
      );
    }
  }
  return PostgresStore as unknown as FastifyRateLimitStoreCtor;
}
