import { sql } from 'kysely';
import type { Db, DigestSection } from '../db/index.js';
import { isSuppressedSql } from './create-deliveries.js';

/** One claimed delivery, with what the message needs about its reader. */
export interface ClaimedDelivery {
  readonly id: number;
  readonly editionId: number;
  readonly subscriberId: number;
  /** Attempts so far, this one included. */
  readonly attempts: number;
  readonly uncertain: number;
  readonly email: string;
  readonly name: string | null;
  readonly tokenVersion: number;
  readonly sections: DigestSection[];
  /** The edition's cutoff (editions.cutoff_at, as a late send moved it): no retry is scheduled past it. */
  readonly cutoffAt: Date;
}

export interface ClaimResult {
  readonly claimed: ClaimedDelivery[];
  /** Deliveries found due whose reader is no longer active or is suppressed: marked `skipped`. */
  readonly skipped: number;
}

/**
 * THE claim. One statement, so every guarantee holds at the instant of the claim:
 *
 * - `FOR UPDATE SKIP LOCKED`: any number of workers in any number of processes take disjoint rows and
 *   never wait on each other (graphile-worker, pg-boss).
 * - A claim is a lease: status `sending` with `lease_until`, and `next_attempt_at` moved to the same
 *   instant. So "due" is one range on the deliveries_due partial index (`next_attempt_at <= now()` over
 *   queued, retry and sending rows): queued rows are due at once, retries after their backoff, and a
 *   claimed row again when its lease runs out because its worker died (kill -9, lost machine).
 * - The reader is re-read here, not when the deliveries were created: a reader who unsubscribed or was
 *   suppressed since is marked `skipped` in the same statement and never handed to SMTP.
 * - `attempts` counts claims, so a delivery whose worker keeps dying is still bounded.
 *
 * Rejected: a cursor or checkpoint per edition that moves when a batch is fetched (listmonk #3022,
 * #2070: a crash between fetch and send lost or duplicated whole batches).
 */
export async function claimDeliveries(db: Db, editionIds: readonly number[], limit: number, leaseSeconds: number): Promise<ClaimResult> {
  if (editionIds.length === 0 || limit <= 0) return { claimed: [], skipped: 0 };
  const result = await sql<{
    id: number;
    edition_id: number;
    subscriber_id: number;
    attempts: number;
    uncertain: number;
    status: string;
    email: string;
    name: string | null;
    token_version: number;
    sections: DigestSection[];
    cutoff_at: Date;
  }>`
    WITH due AS (
      SELECT d.id, d.subscriber_id, d.edition_id
        FROM deliveries d
       -- Only editions being sent: an operator's pause (or an expiry) stops claims at once, in
       -- every worker process, whatever list of editions a worker was started with. The list is a
       -- scalar subquery (one value for the whole statement) on purpose: written as a semi-join,
       -- the planner joined it to every due row and sorted them all, 114 ms per claim at 200k
       -- readers against 14 ms for the deliveries_due index range it now always gets.
       WHERE d.edition_id = ANY((SELECT coalesce(array_agg(e.id), '{}') FROM editions e
                                  WHERE e.id = ANY(${sql.val(editionIds)}::bigint[]) AND e.status = 'sending')::bigint[])
         AND d.status IN ('queued', 'retry', 'sending')
         AND d.next_attempt_at <= now()
       ORDER BY d.edition_id, d.next_attempt_at
       LIMIT ${limit}
       FOR UPDATE SKIP LOCKED
    ), judged AS MATERIALIZED (
      -- LEFT JOIN: a delivery whose reader was erased (subscriber_id NULL) is judged not ok and
      -- skipped, never left due for ever.
      -- The edition's cutoff rides along, so a failure's backoff needs no query of its own.
      -- MATERIALIZED: ok (a hash of the address looked up in suppressions) is computed once per
      -- row, not once per SET column that reads it, and the UPDATE joins a batch-sized row set.
      SELECT due.id, due.edition_id, s.email, s.name, s.token_version, s.sections, e.cutoff_at,
             coalesce(s.status = 'active' AND NOT ${isSuppressedSql(sql.ref('s.email'))}, false) AS ok
        FROM due LEFT JOIN subscribers s ON s.id = due.subscriber_id
        JOIN editions e ON e.id = due.edition_id
    )
    UPDATE deliveries d
       SET status          = CASE WHEN j.ok THEN 'sending' ELSE 'skipped' END,
           attempts        = d.attempts + CASE WHEN j.ok THEN 1 ELSE 0 END,
           lease_until     = CASE WHEN j.ok THEN now() + make_interval(secs => ${leaseSeconds}) END,
           next_attempt_at = CASE WHEN j.ok THEN now() + make_interval(secs => ${leaseSeconds}) ELSE d.next_attempt_at END,
           error           = CASE WHEN j.ok THEN d.error ELSE 'reader not active or suppressed at send time' END
      FROM judged j
     -- The edition_id condition changes no result (ids are unique) but shrinks the planner's estimate of
     -- the join, so it probes deliveries_pkey once per claimed row: with one condition, on a table
     -- of tens of thousands of rows it hashed the whole table per claim (a seq scan through every
     -- dead version the send leaves behind).
     WHERE d.id = j.id AND d.edition_id = j.edition_id
    RETURNING d.id, d.edition_id, d.subscriber_id, d.attempts, d.uncertain, d.status,
              j.email::text AS email, j.name, j.token_version, j.sections, j.cutoff_at`.execute(db);
  const claimed: ClaimedDelivery[] = [];
  let skipped = 0;
  for (const r of result.rows) {
    if (r.status !== 'sending') {
      skipped += 1;
      continue;
    }
    claimed.push({
      id: r.id,
      editionId: r.edition_id,
      subscriberId: r.subscriber_id,
      attempts: r.attempts,
      uncertain: r.uncertain,
      email: r.email,
      name: r.name,
      tokenVersion: r.token_version,
      sections: r.sections,
      cutoffAt: new Date(r.cutoff_at),
    });
  }
  return { claimed, skipped };
}

/** Keeps claims alive while they wait in a worker's queue (a live worker never loses its lease). */
export async function extendLeases(db: Db, ids: readonly number[], leaseSeconds: number): Promise<void> {
  if (ids.length === 0) return;
  await sql`
    UPDATE deliveries
       SET lease_until = now() + make_interval(secs => ${leaseSeconds}),
           next_attempt_at = now() + make_interval(secs => ${leaseSeconds})
     WHERE id = ANY(${sql.val(ids)}::bigint[]) AND status = 'sending'`.execute(db);
}
