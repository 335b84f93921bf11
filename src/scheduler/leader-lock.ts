import { sql } from 'kysely';
import type { Db, Engine } from '../db/index.js';

/**
 * "Only one instance schedules." On PostgreSQL a session advisory lock, held on one pooled
 * connection for the duration of the work and released after: another instance's try fails at once
 * and it skips this tick. On PGlite advisory locks always succeed (one session shared by the whole
 * process), and one process owns the data directory anyway (DATA_DIR lock file), so an in-process flag
 * is the lock there.
 */
export interface LeaderLock {
  /** Runs `fn` if this instance gets the lock now; returns undefined when another holds it. */
  runIfLeader<T>(fn: () => Promise<T>): Promise<{ leader: true; value: T } | { leader: false }>;
}

/** The advisory lock key: any constant both instances agree on ("digest-scheduler"). */
export const SCHEDULER_LOCK_KEY = 0x64696765;

export function createLeaderLock(db: Db, engine: Engine, key = SCHEDULER_LOCK_KEY): LeaderLock {
  let held = false;
  if (engine === 'pglite') {
    return {
      async runIfLeader(fn) {
        if (held) return { leader: false };
        held = true;
        try {
          return { leader: true, value: await fn() };
        } finally {
          held = false;
        }
      },
    };
  }
  return {
    async runIfLeader(fn) {
      if (held) return { leader: false };
      held = true;
      try {
        return await db.connection().execute(async (conn) => {
          const got = await sql<{ ok: boolean }>`SELECT pg_try_advisory_lock(${key}) AS ok`.execute(conn);
          if (!got.rows[0]?.ok) return { leader: false as const };
          try {
            return { leader: true as const, value: await fn() };
          } finally {
            await sql`SELECT pg_advisory_unlock(${key})`.execute(conn).catch(() => undefined);
          }
        });
      } finally {
        held = false;
      }
    },
  };
}
