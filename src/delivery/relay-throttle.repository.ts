import { sql } from 'kysely';
import { countOf, formatInstant } from '../config/index.js';
import type { Db } from '../db/index.js';
import type { ThrottleStatus } from './smtp/smtp-pipeline.js';

/** A row of relay_throttles older than this belongs to a process that died: never shown. */
export const THROTTLE_FRESH_SECONDS = 60;

/** A sending process the relay throttles now, as `digest status`, the admin and /healthz show it. */
export interface RelayThrottle {
  /** host:pid:n of the sending process. */
  readonly sender: string;
  readonly since: Date;
  /** msg/s it paces to (null until a second of replies is measured). */
  readonly rate: number | null;
  readonly lowestRate: number | null;
  /** Messages refused for its rate since `since`. */
  readonly refused: number;
  /** The relay's last throttling reply. */
  readonly reason: string;
  readonly updatedAt: Date;
}

/** Writes (or refreshes) a sending process's row while the relay throttles it. */
export async function saveThrottle(db: Db, sender: string, t: ThrottleStatus): Promise<void> {
  await sql`
    INSERT INTO relay_throttles (sender, since, rate, lowest_rate, refused, reason, updated_at)
    VALUES (${sender}, ${t.since ?? new Date()}, ${t.rate ?? null}, ${t.lowestRate ?? null}, ${t.refused}, ${t.reason ?? ''}, now())
    ON CONFLICT (sender) DO UPDATE SET
      since = EXCLUDED.since, rate = EXCLUDED.rate, lowest_rate = EXCLUDED.lowest_rate,
      refused = EXCLUDED.refused, reason = EXCLUDED.reason, updated_at = now()`.execute(db);
}

/** The process's throttling ended; rows of processes that died long ago go with it. */
export async function clearThrottle(db: Db, sender: string): Promise<void> {
  await sql`
    DELETE FROM relay_throttles
     WHERE sender = ${sender} OR updated_at < now() - make_interval(secs => ${THROTTLE_FRESH_SECONDS * 60})`.execute(db);
}

/**
 * The one reading of "is the relay throttling sending now", for every entry point (`digest status`,
 * the admin, /healthz): the fresh rows, longest throttled first.
 */
export async function currentThrottles(db: Db): Promise<RelayThrottle[]> {
  const rows = await db
    .selectFrom('relay_throttles')
    .selectAll()
    .where('updated_at', '>', sql<Date>`now() - make_interval(secs => ${THROTTLE_FRESH_SECONDS})`)
    .orderBy('since')
    .orderBy('sender')
    .execute();
  return rows.map((r) => ({
    sender: r.sender,
    since: r.since,
    rate: r.rate === null ? null : Number(r.rate),
    lowestRate: r.lowest_rate === null ? null : Number(r.lowest_rate),
    refused: Number(r.refused),
    reason: r.reason,
    updatedAt: r.updated_at,
  }));
}

/** One line for an operator: "mail-1:4123:1 pacing at 143 msg/s (lowest 98) since 2026-12-07 06:01 UTC, 812 messages refused …". */
export function describeThrottle(t: RelayThrottle): string {
  const rate =
    t.rate === null
      ? 'measuring what the relay accepts, not paced yet'
      : `pacing at ${fmt(t.rate)} msg/s (lowest ${fmt(t.lowestRate ?? t.rate)})`;
  return `${t.sender} ${rate} since ${formatInstant(t.since)}, ${countOf(t.refused, 'message', 'messages')} refused for its rate and sent again (last reply: ${t.reason})`;
}

const fmt = (n: number) => (n >= 10 ? String(Math.round(n)) : n.toFixed(1));
