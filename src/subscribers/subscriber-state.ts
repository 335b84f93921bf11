import { sql } from 'kysely';
import type { Db, SubscriberStatus } from '../db/index.js';

/**
 * The subscriber state machine (mirrored by the CHECK on subscribers.status):
 *
 *   pending ──confirm──► active ──unsubscribe──► unsubscribed ──sign up again──► pending
 *      │                   │  ▲                        │
 *      └──unsubscribe──────┘  └──────undo (resubscribe)┘        any ──bounce──► bounced
 *
 * One function per change, each naming its allowed `from` states in its WHERE clause, each writing
 * its subscriber_events row in the same statement (a data-modifying CTE), so a change and its event
 * are never apart and a repeat is a harmless no-op.
 */

export interface ChangeResult {
  /** False when the subscriber was not in an allowed `from` state (already changed, or gone). */
  readonly changed: boolean;
}

const UNSUBSCRIBE_FROM: readonly SubscriberStatus[] = ['active', 'pending'];

/**
 * Unsubscribes at once. Shaped to carry the guarantee "an unsubscribe takes effect before the next
 * message is handed to SMTP": one statement flips the status (which every claim of a delivery
 * re-reads), records the event, and marks the reader's still-waiting deliveries `skipped`, so even a
 * claim that does not join subscribers finds nothing to send. A delivery already claimed and in the
 * SMTP conversation at that instant cannot be recalled.
 *
 * `version` (from the link's token) makes links from an earlier subscription inert. The edition id
 * comes from a token and may name an edition since deleted: it is looked up, not trusted (FK).
 * Repeating it changes nothing, except that a reason given on the after-page is attached to the
 * unsubscribe event it explains.
 */
export async function unsubscribe(
  db: Db,
  subscriberId: number,
  options: { editionId?: number | undefined; reason?: string | null | undefined; version?: number | undefined } = {},
): Promise<ChangeResult> {
  const reason = options.reason?.trim().slice(0, 500) || null;
  const editionId = options.editionId ?? null;
  const result = await sql<{ subscriber_id: number }>`
    WITH changed AS (
      UPDATE subscribers
         SET status = 'unsubscribed', unsubscribed_at = now(), updated_at = now()
       WHERE id = ${subscriberId}
         AND status IN (${sql.join(UNSUBSCRIBE_FROM.map((s) => sql.lit(s)))})
         ${options.version !== undefined ? sql`AND token_version = ${options.version}` : sql``}
      RETURNING id
    ), skipped AS (
      UPDATE deliveries SET status = 'skipped', lease_until = NULL, error = 'unsubscribed'
       WHERE subscriber_id IN (SELECT id FROM changed) AND status IN ('queued', 'retry')
      RETURNING id
    )
    INSERT INTO subscriber_events (subscriber_id, type, edition_id, reason)
    SELECT id, 'unsubscribed', (SELECT e.id FROM editions e WHERE e.id = ${editionId}::bigint), ${reason}::text
      FROM changed
    RETURNING subscriber_id`.execute(db);
  if (result.rows.length > 0) return { changed: true };
  if (reason) {
    // Already unsubscribed: the after-page's "why?" answer explains the latest unsubscribe.
    await sql`
      UPDATE subscriber_events SET reason = ${reason}
       WHERE id = (SELECT id FROM subscriber_events
                    WHERE subscriber_id = ${subscriberId} AND type = 'unsubscribed'
                    ORDER BY at DESC, id DESC LIMIT 1)
         AND EXISTS (SELECT 1 FROM subscribers WHERE id = ${subscriberId} AND status = 'unsubscribed'
                     ${options.version !== undefined ? sql`AND token_version = ${options.version}` : sql``})`.execute(db);
  }
  return { changed: false };
}

/**
 * Double opt-in: pending → active, only with the current subscription's link and only while the
 * sign-up has not expired. Lifts a suppression of the address (the reader has just proved they want
 * mail), which the caller does in the same transaction.
 */
export async function confirmSubscriber(
  db: Db,
  subscriberId: number,
  version: number,
  pendingExpiryDays: number,
): Promise<{ changed: boolean; email?: string }> {
  const result = await sql<{ email: string }>`
    WITH changed AS (
      UPDATE subscribers
         SET status = 'active', confirmed_at = now(), updated_at = now()
       WHERE id = ${subscriberId} AND token_version = ${version} AND status = 'pending'
         AND coalesce(confirmation_sent_at, created_at) > now() - make_interval(days => ${pendingExpiryDays}::int)
      RETURNING id, email
    ), event AS (
      INSERT INTO subscriber_events (subscriber_id, type) SELECT id, 'confirmed' FROM changed
    )
    SELECT email::text AS email FROM changed`.execute(db);
  const row = result.rows[0];
  return row ? { changed: true, email: row.email } : { changed: false };
}

/**
 * "Resubscribe" on the after-page: unsubscribed → active with the same link (the reader holds a
 * valid token for this subscription, so their mailbox is proven; no new confirmation needed).
 * Bounced readers must sign up again.
 */
export async function resubscribe(db: Db, subscriberId: number, version: number): Promise<ChangeResult> {
  const result = await sql`
    WITH changed AS (
      UPDATE subscribers SET status = 'active', unsubscribed_at = NULL, updated_at = now()
       WHERE id = ${subscriberId} AND token_version = ${version} AND status = 'unsubscribed'
         AND confirmed_at IS NOT NULL
      RETURNING id
    )
    INSERT INTO subscriber_events (subscriber_id, type) SELECT id, 'resubscribed' FROM changed
    RETURNING subscriber_id`.execute(db);
  return { changed: result.rows.length > 0 };
}

/**
 * A hard bounce or complaint (delivery's 5xx classification): any state but bounced → bounced, with
 * the event. The caller also suppresses the address (suppress()).
 */
export async function markBounced(
  db: Db,
  subscriberId: number,
  options: { editionId?: number | undefined; reason?: string | null | undefined; type?: 'bounced' | 'complained' } = {},
): Promise<ChangeResult> {
  const result = await sql`
    WITH changed AS (
      UPDATE subscribers SET status = 'bounced', updated_at = now()
       WHERE id = ${subscriberId} AND status IN ('pending', 'active', 'unsubscribed')
      RETURNING id
    )
    INSERT INTO subscriber_events (subscriber_id, type, edition_id, reason)
    SELECT id, ${options.type ?? 'bounced'}, (SELECT e.id FROM editions e WHERE e.id = ${options.editionId ?? null}::bigint),
           ${options.reason?.slice(0, 500) ?? null}::text
      FROM changed
    RETURNING subscriber_id`.execute(db);
  return { changed: result.rows.length > 0 };
}
