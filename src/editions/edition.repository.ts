import type { Db, Edition } from '../db/index.js';

/** One edition by id (the admin's pages). */
export function findEdition(db: Db, id: number): Promise<Edition | undefined> {
  return Number.isSafeInteger(id)
    ? db.selectFrom('editions').selectAll().where('id', '=', id).executeTakeFirst()
    : Promise.resolve(undefined);
}

/** The editions of these dates (dry-run rows never outlive their transaction, so none are here). */
export function editionsDated(db: Db, dates: readonly string[]): Promise<Edition[]> {
  if (dates.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('editions')
    .selectAll()
    .where('date', 'in', [...new Set(dates)])
    .execute();
}

/** When this install's first edition was due (undefined before any): what "missed" is measured against. */
export async function firstSendAt(db: Db): Promise<Date | undefined> {
  const row = await db
    .selectFrom('editions')
    .select((eb) => eb.fn.min('send_at').as('first'))
    .executeTakeFirst();
  return row?.first ? new Date(row.first as Date) : undefined;
}
