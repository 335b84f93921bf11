import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import type { RelayStatus } from './smtp/relay-watch.js';

export interface DeliveryGauges {
  /** Deliveries of editions sent in the last 7 days, by state. */
  readonly byState: Record<string, number>;
  /** Messages the relay accepted, in the last 7 days' editions (rate() of this is the send rate). */
  readonly sent: number;
  /** Deliveries whose connection dropped after DATA (maybe delivered, resent once). */
  readonly uncertain: number;
  readonly queueDepth: number;
  readonly retryQueue: number;
  /** Seconds since the oldest live claim was taken (a stuck worker shows here). */
  readonly oldestLeaseAgeSeconds: number;
  readonly editionsByStatus: Record<string, number>;
}

/**
 * What /metrics reports about sending, read from the database at scrape time, so the numbers cover
 * every worker process on every machine, not only the one that answers the scrape. Limited to recent
 * editions, where the (edition_id, status) index keeps it a small read.
 */
export async function deliveryGauges(db: Db, now = new Date()): Promise<DeliveryGauges> {
  const since = new Date(now.getTime() - 7 * 86_400_000);
  const states = await sql<{ status: string; n: number; uncertain: number }>`
    SELECT d.status, count(*)::int AS n, sum(CASE WHEN d.uncertain > 0 THEN 1 ELSE 0 END)::int AS uncertain
      FROM deliveries d JOIN editions e ON e.id = d.edition_id
     WHERE e.send_at >= ${since}
     GROUP BY d.status`.execute(db);
  const byState: Record<string, number> = { queued: 0, sending: 0, sent: 0, retry: 0, failed: 0, skipped: 0 };
  let uncertain = 0;
  for (const r of states.rows) {
    byState[r.status] = Number(r.n);
    uncertain += Number(r.uncertain ?? 0);
  }
  // Leases run for a fixed time from the claim, so the oldest lease_until is the oldest claim.
  const lease = await sql<{ age: number | null }>`
    SELECT EXTRACT(EPOCH FROM (${now}::timestamptz - min(lease_until)))::float8 AS age
      FROM deliveries WHERE status = 'sending'`.execute(db);
  const editions = await db
    .selectFrom('editions')
    .select('status')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .groupBy('status')
    .execute();
  return {
    byState,
    sent: byState.sent ?? 0,
    uncertain,
    queueDepth: (byState.queued ?? 0) + (byState.retry ?? 0) + (byState.sending ?? 0),
    retryQueue: byState.retry ?? 0,
    oldestLeaseAgeSeconds: Math.max(0, Number(lease.rows[0]?.age ?? 0)),
    editionsByStatus: Object.fromEntries(editions.map((e) => [e.status, Number(e.n)])),
  };
}

/**
 * This process's view of the relay, for digest_smtp_relay_up (1 up, 0 while sending is paused because
 * the relay failed) and how long it has been down. Unlike the gauges above it is per process: it is
 * what this process's workers saw.
 */
export function relayGauges(status: RelayStatus, now = new Date()): { readonly up: number; readonly downSeconds: number } {
  if (status.up || !status.downSince) return { up: 1, downSeconds: 0 };
  return { up: 0, downSeconds: Math.max(0, Math.round((now.getTime() - status.downSince.getTime()) / 1000)) };
}
