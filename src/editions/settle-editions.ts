import type { Logger } from '../config/index.js';
import type { Db } from '../db/index.js';
import { failPastCutoff } from '../delivery/index.js';
import { expireEdition, finishEditionIfDone } from './edition-state.js';

/**
 * `sending` editions with nothing left become `sent`; those past their cutoff_at become `expired`,
 * what was still waiting given up. Paused editions are included: a pause does not stop the clock.
 */
export async function settleEditions(db: Db, log: Logger, now: Date): Promise<void> {
  const open = await db
    .selectFrom('editions')
    .select(['id', 'date', 'slot', 'cutoff_at'])
    .where('status', 'in', ['sending', 'paused'])
    .execute();
  for (const e of open) {
    if (await finishEditionIfDone(db, e.id)) {
      log.info({ event: 'edition.sent', edition: e.id, date: e.date, slot: e.slot }, 'edition sent');
    } else if (now > e.cutoff_at) {
      const failed = await failPastCutoff(db, e.id);
      await expireEdition(db, e.id, `cutoff reached while sending; ${failed} deliveries given up`);
      log.warn(
        { event: 'edition.expired', edition: e.id, date: e.date, slot: e.slot, givenUp: failed },
        'edition reached its cutoff while sending',
      );
    }
  }
}
