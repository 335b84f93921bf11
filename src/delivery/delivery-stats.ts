import { sql } from 'kysely';
import type { Db, DeliveryStatus, Edition } from '../db/index.js';
import { currentThrottles, type RelayThrottle } from './relay-throttle.repository.js';

export type DeliveryCounts = Record<DeliveryStatus, number> & { total: number; uncertain: number };

const EMPTY: DeliveryCounts = { queued: 0, sending: 0, sent: 0, retry: 0, failed: 0, skipped: 0, total: 0, uncertain: 0 };

export async function deliveryCounts(db: Db, editionId: number): Promise<DeliveryCounts> {
  const rows = await sql<{ status: DeliveryStatus; n: number; uncertain: number }>`
    SELECT status, count(*)::int AS n, sum(CASE WHEN uncertain > 0 THEN 1 ELSE 0 END)::int AS uncertain
      FROM deliveries WHERE edition_id = ${editionId} GROUP BY status`.execute(db);
  const counts: DeliveryCounts = { ...EMPTY };
  for (const r of rows.rows) {
    counts[r.status] = Number(r.n);
    counts.total += Number(r.n);
    counts.uncertain += Number(r.uncertain);
  }
  return counts;
}

export interface EditionStatusRow {
  readonly edition: Pick<Edition, 'id' | 'date' | 'slot' | 'kind' | 'status' | 'send_at' | 'error'>;
  readonly counts: DeliveryCounts;
}

export interface DeliveryOverview {
  readonly editions: EditionStatusRow[];
  /** Deliveries waiting for a retry, and when the next one is due. */
  readonly retryQueue: { readonly count: number; readonly nextAt: Date | null };
  /** The claim held longest (a worker that died leaves one until its lease runs out). */
  readonly oldestLease: { readonly deliveryId: number; readonly leaseUntil: Date; readonly claimedFor: string } | null;
  /** Sending processes the relay throttles now (relay-throttle.repository.ts). */
  readonly relayThrottles: RelayThrottle[];
}

/** What `digest status` shows: recent editions with counts per delivery state, retries, leases, throttling. */
export async function deliveryOverview(db: Db, limit = 10): Promise<DeliveryOverview> {
  const editions = await db
    .selectFrom('editions')
    .select(['id', 'date', 'slot', 'kind', 'status', 'send_at', 'error'])
    .orderBy('send_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  const rows: EditionStatusRow[] = [];
  for (const e of editions) rows.push({ edition: e, counts: await deliveryCounts(db, e.id) });
  const retry = await sql<{ n: number; next_at: Date | null }>`
    SELECT count(*)::int AS n, min(next_attempt_at) AS next_at FROM deliveries WHERE status = 'retry'`.execute(db);
  const lease = await sql<{ id: number; lease_until: Date; held: string }>`
    SELECT id, lease_until, (now() - lease_until)::text AS held FROM deliveries
     WHERE status = 'sending' ORDER BY lease_until LIMIT 1`.execute(db);
  const r = retry.rows[0];
  const l = lease.rows[0];
  return {
    editions: rows,
    retryQueue: { count: Number(r?.n ?? 0), nextAt: r?.next_at ?? null },
    oldestLease: l ? { deliveryId: l.id, leaseUntil: l.lease_until, claimedFor: l.held } : null,
    relayThrottles: await currentThrottles(db),
  };
}
