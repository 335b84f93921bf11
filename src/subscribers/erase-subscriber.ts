import type { Db } from '../db/index.js';
import { emailHash } from './suppression.repository.js';

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
