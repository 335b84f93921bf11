import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/index.js';

/**
 * One hit on a fixed-window limit, counted in PostgreSQL so that every instance shares it. One
 * statement: a window that has ended starts over at 1; concurrent hits on one key serialise on its
 * row. Returns the hits so far in the window and the milliseconds until it ends.
 */
export async function hitRateLimit(db: Db, key: string, windowMs: number): Promise<{ hits: number; ttlMs: number }> {
  const keyHash = hashOf(key);
  const window = sql`make_interval(secs => ${windowMs / 1000})`;
  const result = await sql<{ hits: number; ttl_ms: number }>`
    INSERT INTO rate_limits (key_hash, hits, reset_at) VALUES (${keyHash}, 1, now() + ${window})
    ON CONFLICT (key_hash) DO UPDATE SET
      hits     = CASE WHEN rate_limits.reset_at <= now() THEN 1 ELSE rate_limits.hits + 1 END,
      reset_at = CASE WHEN rate_limits.reset_at <= now() THEN now() + ${window} ELSE rate_limits.reset_at END
    RETURNING hits, (EXTRACT(EPOCH FROM (reset_at - now())) * 1000)::float8 AS ttl_ms`.execute(db);
  const row = result.rows[0]!;
  return { hits: Number(row.hits), ttlMs: Math.max(0, Math.ceil(Number(row.ttl_ms))) };
}

/** The hits so far in a window still running (0 when none), and the milliseconds until it ends. */
export async function rateLimitHits(db: Db, key: string): Promise<{ hits: number; ttlMs: number }> {
  const result = await sql<{ hits: number; ttl_ms: number }>`
    SELECT hits, (EXTRACT(EPOCH FROM (reset_at - now())) * 1000)::float8 AS ttl_ms
    FROM rate_limits WHERE key_hash = ${hashOf(key)} AND reset_at > now()`.execute(db);
  const row = result.rows[0];
  return row ? { hits: Number(row.hits), ttlMs: Math.max(0, Math.ceil(Number(row.ttl_ms))) } : { hits: 0, ttlMs: 0 };
}

function hashOf(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}

/** Ended windows, removed by the scheduler's housekeeping. */
export async function purgeRateLimits(db: Db): Promise<number> {
  const r = await db.deleteFrom('rate_limits').where('reset_at', '<', sql<Date>`now()`).executeTakeFirst();
  return Number(r.numDeletedRows);
}
