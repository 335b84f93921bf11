import { sql, type Kysely } from 'kysely';
import type { Database, EditionStatus } from '../db/index.js';

/**
 * The edition state machine (mirrored by the CHECK on editions.status):
 *
 *   planned ──► rendering ──► sending ──► sent
 *                  │    └──► empty        (no stories: nothing to send, EMPTY_DAY=skip)
 *                  └──► failed            (the render threw)
 *   planned | rendering | sending | paused ──► expired   (past the cutoff: never sent late)
 *   sending ◄──► paused   (an operator's pause: workers stop claiming; in-flight messages finish)
 *
 * One function per change, each naming its allowed `from` states in the WHERE clause: a change from a
 * state not listed does nothing and returns false, so two instances racing cannot both make it.
 */
type Handle = Kysely<Database>;

async function transition(
  db: Handle,
  editionId: number,
  from: readonly EditionStatus[],
  to: EditionStatus,
  extra: { error?: string | null } = {},
): Promise<boolean> {
  const result = await db
    .updateTable('editions')
    .set({ status: to, updated_at: sql`now()`, ...(extra.error !== undefined ? { error: extra.error } : {}) })
    .where('id', '=', editionId)
    .where('status', 'in', from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export const startRendering = (db: Handle, id: number) => transition(db, id, ['planned'], 'rendering');
export const startSending = (db: Handle, id: number) => transition(db, id, ['rendering'], 'sending');
export const markEmpty = (db: Handle, id: number, why: string) => transition(db, id, ['rendering'], 'empty', { error: why });
export const markRenderFailed = (db: Handle, id: number, why: string) => transition(db, id, ['rendering'], 'failed', { error: why });
export const expireEdition = (db: Handle, id: number, why: string) =>
  transition(db, id, ['planned', 'rendering', 'sending', 'paused'], 'expired', { error: why });
export const pauseEdition = (db: Handle, id: number) => transition(db, id, ['sending'], 'paused');
export const resumeEdition = (db: Handle, id: number) => transition(db, id, ['paused'], 'sending');

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
