import { sql } from 'kysely';
import type { Db } from '../db/index.js';

/**
 * The delivery state machine (mirrored by the CHECK on deliveries.status), one function per change:
 *
 *   queued | retry ──claim──► sending ──250──► sent
 *                               │ ├──4xx / dropped──► retry (backoff) ──…──► failed (attempts, cutoff)
 *                               │ └──5xx──► failed (+ suppression when the address is refused)
 *                               └──shutdown──► queued | retry (claim released, attempt given back)
 *   queued | retry | sending ──reader gone at claim / cutoff──► skipped | failed
 *   sending ──held past its lease by a worker──► (dropped unsent; due again, re-claimed)
 */

export interface SentMark {
  readonly id: number;
  readonly messageId: string;
}

/**
 * THE mark-sent: called only with deliveries the relay answered 250 to, in small batches, one UPDATE
 * per batch through unnest. Never a position that moves when a batch is fetched; a crash loses at
 * most the marks not yet flushed, and those messages are resent with the same Message-ID (the
 * in-flight window stated in README "Sending"). `retry` and `queued` are allowed as `from` states: a
 * worker whose lease ran out may still get its 250 after another worker re-claimed the row.
 */
export async function markSent(db: Db, marks: readonly SentMark[]): Promise<number> {
  if (marks.length === 0) return 0;
  const result = await sql`
    UPDATE deliveries d
       SET status = 'sent', sent_at = now(), message_id = u.message_id, lease_until = NULL, error = NULL
      FROM unnest(${sql.val(marks.map((m) => m.id))}::bigint[], ${sql.val(marks.map((m) => m.messageId))}::text[])
           AS u(id, message_id)
     WHERE d.id = u.id AND d.status IN ('sending', 'retry', 'queued')`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** sending → retry at `at`; `uncertain` counts a resend that may duplicate. */
export async function markRetry(db: Db, id: number, at: Date, error: string, uncertain: boolean): Promise<void> {
  await sql`
    UPDATE deliveries
       SET status = 'retry', next_attempt_at = ${at}, lease_until = NULL, error = ${error},
           uncertain = uncertain + ${uncertain ? 1 : 0}
     WHERE id = ${id} AND status = 'sending'`.execute(db);
}

/** sending → failed (a 5xx, or retries used up). */
export async function markFailed(db: Db, id: number, error: string): Promise<void> {
  await sql`
    UPDATE deliveries SET status = 'failed', lease_until = NULL, error = ${error}
     WHERE id = ${id} AND status = 'sending'`.execute(db);
}

/** Claims a stopping worker never handed to SMTP go back, with their attempt given back. */
export async function releaseClaims(db: Db, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await sql`
    UPDATE deliveries
       SET status = CASE WHEN attempts > 1 THEN 'retry' ELSE 'queued' END,
           attempts = greatest(attempts - 1, 0), lease_until = NULL, next_attempt_at = now()
     WHERE id = ANY(${sql.val(ids)}::bigint[]) AND status = 'sending'`.execute(db);
}

/**
 * Past the edition's cutoff nothing more is sent: what is still waiting fails (queued and retry rows;
 * claimed rows fail when their worker reports back or their lease runs out).
 */
export const PAST_CUTOFF = 'edition past its cutoff';

/**
 * Claims a worker finds past their edition's cutoff before handing them over (a worker that was
 * paused on its relay): failed as the housekeeping would have failed them, never sent late.
 */
export async function failClaimsPastCutoff(db: Db, ids: readonly number[]): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await sql`
    UPDATE deliveries SET status = 'failed', lease_until = NULL, error = coalesce(error || '; ', '') || ${PAST_CUTOFF}
     WHERE id = ANY(${sql.val(ids)}::bigint[]) AND status = 'sending'`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

export async function failPastCutoff(db: Db, editionId: number): Promise<number> {
  const result = await sql`
    UPDATE deliveries SET status = 'failed', lease_until = NULL, error = coalesce(error || '; ', '') || ${PAST_CUTOFF}
     WHERE edition_id = ${editionId} AND status IN ('queued', 'retry', 'sending')
       AND (status <> 'sending' OR lease_until < now())`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
