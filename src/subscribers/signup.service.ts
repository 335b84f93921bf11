import { sql } from 'kysely';
import type { Config, Logger } from '../config/index.js';
import type { Db, DigestSection, Subscriber } from '../db/index.js';
import { renderConfirmation, renderNotice, type NoticeReason } from '../render/index.js';
import { confirmUrl, preferencesUrl, unsubscribeUrl } from './links.js';
import { addPending, pendingExpired, renewPending, signUpAgain } from './subscriber-state.js';

/**
 * The one thing sign-up needs of a mailer: send a transactional email. Declared here, not imported
 * from delivery/ (whose Mailer fits it), because delivery imports subscribers (suppress, links).
 */
export interface TransactionalMailer {
  send(mail: {
    readonly to: string;
    readonly subject: string;
    readonly html: string;
    readonly text: string;
    readonly headers?: Readonly<Record<string, string>>;
  }): Promise<{ messageId: string }>;
}

/** What the sign-up and manage flows need; the web layer passes its own deps. */
export interface SubscriberDeps {
  readonly db: Db;
  readonly config: Config;
  readonly mailer: TransactionalMailer;
  readonly log: Logger;
}

/**
 * Why a request did what it did: for logs and tests only. The HTTP answer is the same for every
 * outcome, so nobody can learn from it whether an address is subscribed.
 */
export type SignupOutcome = 'confirmation_sent' | 'notice_sent' | 'throttled' | 'ignored';

export interface SignupResult {
  readonly outcome: SignupOutcome;
  /** Settles when the mail (if any) was accepted by the relay or failed; the route does not wait. */
  readonly mailed: Promise<void>;
}

const noMail = Promise.resolve();

/** One confirmation (or notice) email per address per hour however often the form is submitted. */
const THROTTLE = sql`interval '1 hour'`;

type Locked = Subscriber & { confirm_recent: boolean; notice_recent: boolean; expired: boolean };

async function lockByEmail(trx: Db, email: string, expiryDays: number): Promise<Locked | undefined> {
  return trx
    .selectFrom('subscribers')
    .selectAll()
    .select([
      sql<boolean>`coalesce(confirmation_sent_at > now() - ${THROTTLE}, false)`.as('confirm_recent'),
      sql<boolean>`coalesce(manage_sent_at > now() - ${THROTTLE}, false)`.as('notice_recent'),
      pendingExpired(expiryDays).as('expired'),
    ])
    .where('email', '=', email)
    .forUpdate()
    .executeTakeFirst();
}

/**
 * A sign-up request (form or JSON) for a valid address. By current state:
 * - new → pending, confirmation mailed;
 * - pending → confirmation mailed again, unless one went out in the last hour (subscription-bombing
 *   defence); an expired pending sign-up starts over;
 * - unsubscribed or bounced → pending with a new token_version (every older link dies), confirmation
 *   mailed: signing up again always needs a fresh confirmation;
 * - active → a notice with the manage links, at most hourly.
 * Each timestamp is set in the same locked transaction that decides to mail, so concurrent requests
 * cannot both send; if the relay then refuses, the timestamp is cleared so the reader can retry.
 */
export async function requestSignup(
  deps: SubscriberDeps,
  input: { email: string; name: string | null; sections: DigestSection[] | null },
): Promise<SignupResult> {
  const { db, config } = deps;
  const decision = await db.transaction().execute(async (trx) => {
    let row = await lockByEmail(trx, input.email, config.signup.pendingExpiryDays);
    if (!row) {
      const inserted = await addPending(trx, input);
      if (inserted) return { kind: 'confirm' as const, subscriber: inserted };
      row = await lockByEmail(trx, input.email, config.signup.pendingExpiryDays); // lost a race with a concurrent insert
      if (!row) return { kind: 'none' as const };
    }
    const details = { ...(input.name ? { name: input.name } : {}), ...(input.sections ? { sections: input.sections } : {}) };
    switch (row.status) {
      case 'pending': {
        if (row.confirm_recent && !row.expired) return { kind: 'throttled' as const };
        return { kind: 'confirm' as const, subscriber: await renewPending(trx, row.id, details, row.expired) };
      }
      case 'unsubscribed':
      case 'bounced': {
        if (row.confirm_recent) return { kind: 'throttled' as const };
        return { kind: 'confirm' as const, subscriber: await signUpAgain(trx, { id: row.id, status: row.status }, details) };
      }
      case 'active': {
        if (row.notice_recent) return { kind: 'throttled' as const };
        const updated = await stampMailSent(trx, row.id, 'manage_sent_at');
        return { kind: 'notice' as const, subscriber: updated };
      }
    }
  });

  switch (decision.kind) {
    case 'confirm':
      return { outcome: 'confirmation_sent', mailed: sendConfirmation(deps, decision.subscriber) };
    case 'notice':
      return { outcome: 'notice_sent', mailed: sendNotice(deps, decision.subscriber, 'already_subscribed') };
    case 'throttled':
      return { outcome: 'throttled', mailed: noMail };
    case 'none':
      return { outcome: 'ignored', mailed: noMail };
  }
}

/**
 * "Manage my subscription": mails fresh links to an address that has a subscription (pending ones
 * get their confirmation again), at most hourly; anything else is silently ignored.
 */
export async function requestManageLink(deps: SubscriberDeps, email: string): Promise<SignupResult> {
  const { db, config } = deps;
  const decision = await db.transaction().execute(async (trx) => {
    const row = await lockByEmail(trx, email, config.signup.pendingExpiryDays);
    if (!row || row.status === 'bounced') return { kind: 'none' as const };
    if (row.status === 'pending') {
      if (row.confirm_recent || row.expired) return { kind: 'none' as const };
      const updated = await stampMailSent(trx, row.id, 'confirmation_sent_at');
      return { kind: 'confirm' as const, subscriber: updated };
    }
    if (row.notice_recent) return { kind: 'throttled' as const };
    const updated = await stampMailSent(trx, row.id, 'manage_sent_at');
    return { kind: 'notice' as const, subscriber: updated };
  });
  if (decision.kind === 'confirm') return { outcome: 'confirmation_sent', mailed: sendConfirmation(deps, decision.subscriber) };
  if (decision.kind === 'notice') return { outcome: 'notice_sent', mailed: sendNotice(deps, decision.subscriber, 'manage') };
  return { outcome: decision.kind === 'throttled' ? 'throttled' : 'ignored', mailed: noMail };
}

async function sendConfirmation(deps: SubscriberDeps, subscriber: Subscriber): Promise<void> {
  const { config, log } = deps;
  try {
    const mail = await renderConfirmation({
      site: config.site,
      publicUrl: config.publicUrl,
      confirmUrl: confirmUrl(config, subscriber),
      name: subscriber.name,
      locale: config.locale,
    });
    const { messageId } = await deps.mailer.send({ to: subscriber.email, ...mail });
    log.info({ event: 'subscriber.confirmation_sent', subscriberId: subscriber.id, messageId }, 'confirmation email sent');
  } catch (err) {
    log.error(
      { event: 'subscriber.confirmation_failed', subscriberId: subscriber.id, err: (err as Error).message },
      'confirmation email failed',
    );
    await deps.db
      .updateTable('subscribers')
      .set({ confirmation_sent_at: null })
      .where('id', '=', subscriber.id)
      .execute()
      .catch(() => {});
  }
}

async function sendNotice(deps: SubscriberDeps, subscriber: Subscriber, why: NoticeReason): Promise<void> {
  const { config, log } = deps;
  try {
    const mail = await renderNotice({
      site: config.site,
      why,
      unsubscribed: subscriber.status === 'unsubscribed',
      preferencesUrl: preferencesUrl(config, subscriber),
      unsubscribeUrl: unsubscribeUrl(config, subscriber),
      name: subscriber.name,
      locale: config.locale,
    });
    const { messageId } = await deps.mailer.send({ to: subscriber.email, ...mail });
    log.info({ event: 'subscriber.manage_link_sent', subscriberId: subscriber.id, why, messageId }, 'manage link sent');
  } catch (err) {
    log.error({ event: 'subscriber.manage_link_failed', subscriberId: subscriber.id, err: (err as Error).message }, 'manage link failed');
    await deps.db
      .updateTable('subscribers')
      .set({ manage_sent_at: null })
      .where('id', '=', subscriber.id)
      .execute()
      .catch(() => {});
  }
}

/**
 * Notes that a confirmation or a notice is going out now (the database's clock), which is what
 * throttles the next one to the same address; returns the row to mail.
 */
function stampMailSent(trx: Db, id: number, column: 'confirmation_sent_at' | 'manage_sent_at'): Promise<Subscriber> {
  return trx
    .updateTable('subscribers')
    .set({ [column]: sql<Date>`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}
