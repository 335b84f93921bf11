import { sql } from 'kysely';
import type { Db, DigestSection, Subscriber, SubscriberStatus } from '../db/index.js';
import { emailHash } from './suppression.repository.js';

/**
 * The subscriber state machine, every change of it in this file. The states are a string union
 * (SubscriberStatus) mirrored by the CHECK on subscribers.status.
 *
 *   change             from                                to                          here
 *   sign up            (no row)                            pending                     addPending
 *   sign up, again     pending (an expired one restarts)   pending                     renewPending
 *   sign up again      unsubscribed, bounced               pending, new token_version  signUpAgain
 *   confirm            pending, not expired                active                      confirmSubscriber
 *   import             (no row), pending, active           active                      importActive
 *   unsubscribe        pending, active                     unsubscribed                unsubscribe
 *   resubscribe        unsubscribed, once confirmed        active                      resubscribe
 *   bounce, complaint  pending, active, unsubscribed       bounced                     markBounced
 *   expire             pending past pendingExpired         (deleted) or unsubscribed   purgeExpiredPending
 *   erase              any                                 (deleted)                   eraseSubscriber
 *
 * Each function names its allowed `from` states in its WHERE clause and writes its subscriber_events
 * row in the same statement or transaction, so a change and its event are never apart and a repeat
 * is a harmless no-op.
 */

/**
 * The one rule for when a pending sign-up has expired: PENDING_EXPIRY_DAYS after its latest
 * confirmation email (or its creation), by the database's clock, so the statements that confirm,
 * re-send and purge, and the confirm page, agree on the instant whatever the app servers' clocks say.
 * Its columns are unqualified: use it in statements on `subscribers` alone.
 */
export function pendingExpired(expiryDays: number) {
  return sql<boolean>`(status = 'pending' AND coalesce(confirmation_sent_at, created_at) < now() - make_interval(days => ${expiryDays}::int))`;
}

/** For the confirm page: whether the subscriber is a pending sign-up past its expiry (pendingExpired). */
export async function isPendingExpired(db: Db, subscriberId: number, expiryDays: number): Promise<boolean> {
  const row = await db
    .selectFrom('subscribers')
    .select(pendingExpired(expiryDays).as('expired'))
    .where('id', '=', subscriberId)
    .executeTakeFirst();
  return row?.expired === true;
}

export interface ChangeResult {
  /** False when the subscriber was not in an allowed `from` state (already changed, or gone). */
  readonly changed: boolean;
}

/** What a sign-up form may set besides the address: only what it was given. */
export interface SignupDetails {
  readonly name?: string;
  readonly sections?: DigestSection[];
}

/** (no row) → pending: an address's first sign-up. Undefined when a concurrent request inserted it first. */
export async function addPending(
  trx: Db,
  input: { email: string; name: string | null; sections: DigestSection[] | null },
): Promise<Subscriber | undefined> {
  const inserted = await trx
    .insertInto('subscribers')
    .values({
      email: input.email,
      name: input.name,
      status: 'pending',
      confirmation_sent_at: sql<Date>`now()`,
      ...(input.sections ? { sections: input.sections } : {}),
    })
    .onConflict((oc) => oc.column('email').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) await trx.insertInto('subscriber_events').values({ subscriber_id: inserted.id, type: 'subscribed' }).execute();
  return inserted;
}

/**
 * pending → pending: the sign-up form again, so the confirmation goes out again. An expired sign-up
 * (pendingExpired, read under the caller's lock) starts over: created_at too, so it does not expire
 * again at once.
 */
export async function renewPending(trx: Db, subscriberId: number, details: SignupDetails, expired: boolean): Promise<Subscriber> {
  return trx
    .updateTable('subscribers')
    .set({
      ...details,
      confirmation_sent_at: sql<Date>`now()`,
      updated_at: sql<Date>`now()`,
      ...(expired ? { created_at: sql<Date>`now()` } : {}),
    })
    .where('id', '=', subscriberId)
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * unsubscribed or bounced → pending: signing up again always needs a fresh confirmation, and the new
 * token_version retires every link of the earlier subscription. Call it inside the caller's transaction.
 */
export async function signUpAgain(
  trx: Db,
  subscriber: { readonly id: number; readonly status: 'unsubscribed' | 'bounced' },
  details: SignupDetails,
): Promise<Subscriber> {
  const updated = await trx
    .updateTable('subscribers')
    .set({
      ...details,
      status: 'pending',
      token_version: sql<number>`token_version + 1`,
      confirmation_sent_at: sql<Date>`now()`,
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', subscriber.id)
    .where('status', 'in', ['unsubscribed', 'bounced'])
    .returningAll()
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('subscriber_events')
    .values({ subscriber_id: subscriber.id, type: 'subscribed', reason: `again after ${subscriber.status}` })
    .execute();
  return updated;
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
         AND NOT ${pendingExpired(pendingExpiryDays)}
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
 * Saving the preference page does it too (reason 'preferences'). Bounced readers, and ones who never
 * confirmed, must sign up again.
 */
export async function resubscribe(db: Db, subscriberId: number, version: number, reason: string | null = null): Promise<ChangeResult> {
  const result = await sql`
    WITH changed AS (
      UPDATE subscribers SET status = 'active', unsubscribed_at = NULL, updated_at = now()
       WHERE id = ${subscriberId} AND token_version = ${version} AND status = 'unsubscribed'
         AND confirmed_at IS NOT NULL
      RETURNING id
    )
    INSERT INTO subscriber_events (subscriber_id, type, reason) SELECT id, 'resubscribed', ${reason}::text FROM changed
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

/**
 * `digest subscribers import`: (no row), pending or active → active, in one statement per chunk (the
 * operator vouches for consent given in the tool the list comes from). ON CONFLICT … WHERE merges an
 * existing pending or active row (name and time zone filled in); an unsubscribed or bounced one is
 * not touched and comes back without a row, so the caller reports it: an import never undoes an
 * opt-out. New rows get their 'imported' event. Call it inside the caller's transaction.
 */
export async function importActive(
  trx: Db,
  rows: readonly { email: string; name: string | null; timezone: string | null }[],
): Promise<{ id: number; email: string; inserted: boolean }[]> {
  const back = await trx
    .insertInto('subscribers')
    .values(
      rows.map((r) => ({ email: r.email, name: r.name, timezone: r.timezone, status: 'active' as const, confirmed_at: sql<Date>`now()` })),
    )
    .onConflict((oc) =>
      oc
        .column('email')
        .doUpdateSet({
          name: sql`coalesce(excluded.name, subscribers.name)`,
          timezone: sql`coalesce(excluded.timezone, subscribers.timezone)`,
          status: 'active',
          confirmed_at: sql`coalesce(subscribers.confirmed_at, now())`,
          updated_at: sql`now()`,
        })
        .where('subscribers.status', 'in', ['pending', 'active']),
    )
    .returning(['id', 'email', sql<boolean>`(xmax = 0)`.as('inserted')])
    .execute();
  const fresh = back.filter((r) => r.inserted);
  if (fresh.length > 0)
    await trx
      .insertInto('subscriber_events')
      .values(fresh.map((r) => ({ subscriber_id: r.id, type: 'imported' as const })))
      .execute();
  return back;
}

/**
 * Sweeps sign-ups never confirmed within PENDING_EXPIRY_DAYS (pendingExpired): a first-time sign-up
 * is deleted (it never consented to anything); a former reader who asked to come back and did not
 * confirm returns to unsubscribed. Returns how many rows were swept.
 */
export async function purgeExpiredPending(db: Db, expiryDays: number): Promise<number> {
  const deleted = await db.deleteFrom('subscribers').where('confirmed_at', 'is', null).where(pendingExpired(expiryDays)).executeTakeFirst();
  const reverted = await db
    .updateTable('subscribers')
    .set({ status: 'unsubscribed', updated_at: sql<Date>`now()` })
    .where('confirmed_at', 'is not', null)
    .where(pendingExpired(expiryDays))
    .executeTakeFirst();
  return Number(deleted.numDeletedRows) + Number(reverted.numUpdatedRows);
}

/**
 * `digest subscribers erase EMAIL` (right to erasure): deletes the subscriber row, and with it the
 * address, name and preferences; their deliveries stay for the editions' counts with the subscriber
 * id set null (ones not yet sent are skipped first); their events stay for the
 * counts, anonymised (subscriber_id set null, free-text reasons cleared); an `erased` event with no
 * subscriber records that it happened. Only a hash of the address is kept, on the suppression list,
 * so it is never mailed again unless it signs up anew. One transaction; works for an address that
 * has no subscriber too (it is suppressed all the same).
 */
export async function eraseSubscriber(db: Db, email: string): Promise<{ found: boolean }> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('subscribers').select('id').where('email', '=', email.trim()).forUpdate().executeTakeFirst();
    if (row) {
      await trx
        .updateTable('deliveries')
        .set({ status: 'skipped', lease_until: null, error: 'reader erased' })
        .where('subscriber_id', '=', row.id)
        .where('status', 'in', ['queued', 'retry'])
        .execute();
      await trx.updateTable('subscriber_events').set({ reason: null }).where('subscriber_id', '=', row.id).execute();
      await trx.deleteFrom('subscribers').where('id', '=', row.id).execute();
    }
    await trx.insertInto('subscriber_events').values({ subscriber_id: null, type: 'erased' }).execute();
    await trx
      .insertInto('suppressions')
      .values({ email_hash: emailHash(email), reason: 'erased' })
      .onConflict((oc) => oc.column('email_hash').doUpdateSet({ reason: 'erased' }))
      .execute();
    return { found: row !== undefined };
  });
}
