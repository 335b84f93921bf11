import { sql } from 'kysely';
import type { Db, Subscriber, SubscriberEventType } from '../db/index.js';

/** Admin search: addresses containing `q` (case-insensitive), newest first; at most `limit`. */
export async function searchSubscribers(db: Db, q: string, limit = 50): Promise<Subscriber[]> {
  const needle = q.trim().slice(0, 254);
  let query = db.selectFrom('subscribers').selectAll().orderBy('id', 'desc').limit(limit);
  if (needle) {
    // LIKE metacharacters in the search are literal: the operator types an address, not a pattern.
    const escaped = needle.replace(/[\\%_]/g, (c) => `\\${c}`);
    query = query.where(sql<boolean>`email::text ILIKE ${`%${escaped}%`}`);
  }
  return query.execute();
}

export interface SubscriberEventRow {
  readonly type: SubscriberEventType;
  readonly at: Date;
  readonly editionId: number | null;
  readonly editionDate: string | null;
  readonly reason: string | null;
}

export async function findSubscriber(db: Db, id: number): Promise<Subscriber | undefined> {
  return db.selectFrom('subscribers').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A subscriber's history, oldest first, with the edition each event came from. */
export async function subscriberEvents(db: Db, subscriberId: number, limit = 200): Promise<SubscriberEventRow[]> {
  const rows = await db
    .selectFrom('subscriber_events as ev')
    .leftJoin('editions as e', 'e.id', 'ev.edition_id')
    .select(['ev.type', 'ev.at', 'ev.edition_id', 'e.date', 'ev.reason'])
    .where('ev.subscriber_id', '=', subscriberId)
    .orderBy('ev.at')
    .orderBy('ev.id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ type: r.type, at: r.at, editionId: r.edition_id, editionDate: r.date, reason: r.reason }));
}
