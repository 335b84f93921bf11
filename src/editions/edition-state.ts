import { sql, type Kysely } from 'kysely';
import type { Database, Edition, EditionStatus } from '../db/index.js';
import { PAST_CUTOFF } from '../delivery/index.js';

/**
 * The edition lifecycle, mirrored by the CHECK on editions.status (migration 001):
 *
 *   planned ──► rendering ──► sending ──► sent
 *      ▲           │    └──► empty ──reopenEmpty (found empty before its send time)──► planned
 *      │           └──► failed ──retryFailed (operator: cause fixed)──► planned
 *      │
 *   planned | rendering | sending | paused ──expire (past cutoff_at)──► expired
 *   expired ──sendLate (operator, on purpose: a new cutoff)──► planned (never rendered) | sending (was sending)
 *   sending ◄──► paused   (pause / resume: every worker stops claiming and, within EDITION_CHECK_MS,
 *                          handing over; messages in flight finish, claims held go back untouched)
 *
 * One function per change, each naming its allowed `from` states in the WHERE clause: a change from
 * a state not listed does nothing and returns false, so two instances racing cannot both make it.
 * `at` is the caller's clock (config/clock.ts), stored as updated_at: reopenEmpty compares it with
 * the send time, so it must be the same clock that decides what is due.
 */
type Handle = Kysely<Database>;

async function transition(
  db: Handle,
  editionId: number,
  from: readonly EditionStatus[],
  to: EditionStatus,
  extra: {
    error?: string | null;
    at?: Date;
    startedAt?: Date;
    cutoffAt?: Date;
    sentLate?: boolean;
    where?: ReturnType<typeof sql<boolean>>;
  } = {},
): Promise<boolean> {
  let q = db
    .updateTable('editions')
    .set({
      status: to,
      updated_at: extra.at ?? sql`now()`,
      ...(extra.error !== undefined ? { error: extra.error } : {}),
      ...(extra.startedAt ? { started_at: sql`coalesce(started_at, ${extra.startedAt})` } : {}),
      ...(extra.cutoffAt ? { cutoff_at: extra.cutoffAt } : {}),
      ...(extra.sentLate ? { sent_late: true } : {}),
    })
    .where('id', '=', editionId)
    .where('status', 'in', from);
  if (extra.where) q = q.where(extra.where);
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export const startRendering = (db: Handle, id: number) => transition(db, id, ['planned'], 'rendering');
export const startSending = (db: Handle, id: number, at: Date) =>
  transition(db, id, ['rendering'], 'sending', { startedAt: at, error: null });
export const markEmpty = (db: Handle, id: number, why: string, at: Date) => transition(db, id, ['rendering'], 'empty', { error: why, at });
export const markFailed = (db: Handle, id: number, why: string) => transition(db, id, ['rendering'], 'failed', { error: why });
export const expireEdition = (db: Handle, id: number, why: string) =>
  transition(db, id, ['planned', 'rendering', 'sending', 'paused'], 'expired', { error: why });
export const pauseEdition = (db: Handle, id: number) => transition(db, id, ['sending'], 'paused');
export const resumeEdition = (db: Handle, id: number) => transition(db, id, ['paused'], 'sending');

/**
 * empty → planned, only when it was found empty before its send time (an early "Send now", or a tick
 * before the slot): a story posted before the slot is still picked. Found empty at or after the send
 * time, it stays empty for good.
 */
export const reopenEmpty = (db: Handle, id: number) =>
  transition(db, id, ['empty'], 'planned', { error: null, where: sql<boolean>`updated_at < send_at` });

/**
 * Whether preparing the edition can still change it by itself (no operator's --late or --retry): not
 * yet past `rendering`, or empty found before its send time. The same rule as reopenEmpty's WHERE,
 * for callers that filter rows they already read (the scheduler's tick).
 */
export function stillOpen(row: Pick<Edition, 'status' | 'updated_at' | 'send_at'>): boolean {
  return row.status === 'planned' || row.status === 'rendering' || (row.status === 'empty' && row.updated_at < row.send_at);
}

/** failed → planned: an operator fixed the cause (a template, a setting) and asks for it again. */
export const retryFailed = (db: Handle, id: number) => transition(db, id, ['failed'], 'planned', { error: null });

/**
 * expired → sending (it had started: its render and deliveries stand) or planned (it never started),
 * with a new cutoff: an operator's deliberate late send. Deliveries that the cutoff gave up are put
 * back in the queue (the ones the relay refused stay failed).
 */
export async function sendLate(
  db: Handle,
  edition: Pick<Edition, 'id' | 'html'>,
  newCutoff: Date,
): Promise<'sending' | 'planned' | undefined> {
  const id = edition.id;
  const to = edition.html ? 'sending' : 'planned';
  if (!(await transition(db, id, ['expired'], to, { error: null, cutoffAt: newCutoff, sentLate: true }))) return undefined;
  if (to === 'sending') {
    await sql`
      UPDATE deliveries SET status = 'retry', next_attempt_at = now(), error = NULL
       WHERE edition_id = ${id} AND status = 'failed' AND error LIKE ${`%${PAST_CUTOFF}`}`.execute(db);
  }
  return to;
}

/** planned | rendering → the same, with a later cutoff: a late send of an edition not yet expired. */
export const moveCutoff = (db: Handle, id: number, newCutoff: Date, from: readonly EditionStatus[]) =>
  db.updateTable('editions').set({ cutoff_at: newCutoff, sent_late: true }).where('id', '=', id).where('status', 'in', from).execute();

/**
 * sending → sent, only once no delivery is left to send (queued, retry, or claimed). Checked in the
 * same statement so a retry scheduled a moment ago keeps the edition open.
 */
export async function finishEditionIfDone(db: Handle, editionId: number): Promise<boolean> {
  const result = await sql`
    UPDATE editions SET status = 'sent', updated_at = now()
     WHERE id = ${editionId} AND status = 'sending'
       AND NOT EXISTS (SELECT 1 FROM deliveries d
                        WHERE d.edition_id = ${editionId} AND d.status IN ('queued', 'retry', 'sending'))`.execute(db);
  return Number(result.numAffectedRows ?? 0) > 0;
}
