import { sql } from 'kysely';
import type { Db, SubscriberStatus } from '../db/index.js';

export interface GrowthDay {
  /** 'YYYY-MM-DD' (UTC) */
  readonly day: string;
  readonly confirmed: number;
  readonly unsubscribed: number;
  readonly bounced: number;
  /** Active readers at the end of that day. */
  readonly active: number;
}

/**
 * Subscribers over the last `days` days, from the event log: confirmations, unsubscribes and bounces
 * per day, and the active count at each day's end (today's count walked back through the changes).
 */
export async function subscriberGrowth(db: Db, days = 30, now = new Date()): Promise<GrowthDay[]> {
  const since = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (days - 1)));
  const rows = await sql<{ day: string; type: string; n: number }>`
    SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, type, count(*)::int AS n
      FROM subscriber_events
     WHERE at >= ${since} AND type IN ('confirmed', 'resubscribed', 'imported', 'unsubscribed', 'bounced', 'complained', 'erased')
     GROUP BY 1, 2`.execute(db);
  const active = await db
    .selectFrom('subscribers')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'active')
    .executeTakeFirstOrThrow();
  const byDay = new Map<string, { confirmed: number; unsubscribed: number; bounced: number }>();
  for (const r of rows.rows) {
    const d = byDay.get(r.day) ?? { confirmed: 0, unsubscribed: 0, bounced: 0 };
    if (r.type === 'confirmed' || r.type === 'resubscribed' || r.type === 'imported') d.confirmed += Number(r.n);
    else if (r.type === 'bounced' || r.type === 'complained') d.bounced += Number(r.n);
    else d.unsubscribed += Number(r.n);
    byDay.set(r.day, d);
  }
  const out: GrowthDay[] = [];
  let running = Number(active.n);
  for (let i = days - 1; i >= 0; i--) {
    const day = new Date(since.getTime() + i * 86_400_000).toISOString().slice(0, 10);
    const d = byDay.get(day) ?? { confirmed: 0, unsubscribed: 0, bounced: 0 };
    out.unshift({ day, ...d, active: Math.max(0, running) });
    running -= d.confirmed - d.unsubscribed - d.bounced;
  }
  return out;
}

export async function subscriberCounts(db: Db): Promise<Record<SubscriberStatus, number>> {
  const rows = await db
    .selectFrom('subscribers')
    .select(['status'])
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .groupBy('status')
    .execute();
  const counts: Record<SubscriberStatus, number> = { pending: 0, active: 0, unsubscribed: 0, bounced: 0 };
  for (const r of rows) counts[r.status] = Number(r.n);
  return counts;
}

export interface UnsubscribeReasons {
  readonly editionId: number | null;
  readonly reason: string;
  readonly count: number;
}

/** Why readers left, per edition they left from (reasons they typed on the after-page). */
export async function unsubscribeReasons(db: Db, limit = 50): Promise<UnsubscribeReasons[]> {
  const rows = await db
    .selectFrom('subscriber_events')
    .select(['edition_id', 'reason'])
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('type', '=', 'unsubscribed')
    .where('reason', 'is not', null)
    .groupBy(['edition_id', 'reason'])
    .orderBy('edition_id', 'desc')
    .orderBy('n', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ editionId: r.edition_id, reason: r.reason ?? '', count: Number(r.n) }));
}
