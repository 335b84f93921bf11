import { sql } from 'kysely';
import type { Db, Subscriber } from '../db/index.js';
import type { Preferences } from './subscriber-input.js';
import { resubscribe } from './subscriber-state.js';

/** The subscriber a signed link names, only if the link belongs to the current subscription. */
export async function findByToken(db: Db, subject: { subscriberId: number; version: number }): Promise<Subscriber | undefined> {
  return db
    .selectFrom('subscribers')
    .selectAll()
    .where('id', '=', subject.subscriberId)
    .where('token_version', '=', subject.version)
    .executeTakeFirst();
}

/**
 * Saves the preference page. For an unsubscribed reader (who came from "fewer emails instead"),
 * saving is also the resubscribe (subscriber-state.ts): their link proves the mailbox, and they
 * confirmed before. One transaction: the row, the 'preferences' event, then the change of state and
 * its 'resubscribed' event when it applies.
 */
export async function savePreferences(
  db: Db,
  subject: { subscriberId: number; version: number },
  prefs: Preferences,
): Promise<Subscriber | undefined> {
  return db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('subscribers')
      .set({
        name: prefs.name,
        sections: prefs.sections,
        frequency: prefs.frequency,
        weekday: prefs.weekday,
        send_hour: prefs.send_hour,
        timezone: prefs.timezone,
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', subject.subscriberId)
      .where('token_version', '=', subject.version)
      .returningAll()
      .executeTakeFirst();
    if (!updated) return undefined;
    await trx
      .insertInto('subscriber_events')
      .values({ subscriber_id: subject.subscriberId, type: 'preferences', reason: `${prefs.frequency} ${prefs.sections.join('+')}` })
      .execute();
    const revived = await resubscribe(trx, subject.subscriberId, subject.version, 'preferences');
    return revived.changed ? findByToken(trx, subject) : updated;
  });
}
