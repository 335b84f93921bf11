import { sql, type ExpressionBuilder } from 'kysely';
import type { Database, Db, Edition } from '../db/index.js';

/**
 * Read-only queries behind the public edition pages, the archive and RSS.
 *
 * Published: the edition has reached some reader, so its "view in browser" link must work from the
 * first message delivered and for ever after: 'sending', 'sent', 'paused' (stopped part-way: the
 * readers already mailed hold its link), and 'expired' once it had started sending (its cutoff
 * stopped it part-way; migration 050 recorded started_at). An edition expired before it started
 * reached nobody and stays private.
 *
 * The date's main edition (GET /editions/:date) is its first published daily slot, or, on a date
 * with no daily edition, its first published one: every query here orders a date's editions main
 * first (`mainFirst`), so that rule lives in one ORDER BY.
 */
export type PublishedEdition = Pick<
  Edition,
  'id' | 'date' | 'slot' | 'kind' | 'subject' | 'story_ids' | 'send_at' | 'started_at' | 'updated_at'
>;

const columns = ['id', 'date', 'slot', 'kind', 'subject', 'story_ids', 'send_at', 'started_at', 'updated_at'] as const;

function published(eb: ExpressionBuilder<Database, 'editions'>) {
  return eb.or([
    eb('status', 'in', ['sending', 'sent', 'paused']),
    eb.and([eb('status', '=', 'expired'), eb('started_at', 'is not', null)]),
  ]);
}

/** Within a date: the first daily slot, then the rest by send time (slot breaks ties: weekly after daily). */
const mainFirst = sql`(kind <> 'daily'), send_at, slot`;

/** A date's published editions, main first; empty when it has none. */
export async function publishedEditionsOn(db: Db, date: string): Promise<PublishedEdition[]> {
  return db.selectFrom('editions').select(columns).where('date', '=', date).where(published).orderBy(mainFirst).execute();
}

/** Of one date's editions, main first (publishedEditionsOn): the main one, or the one in `slot`. */
export function editionIn<E extends Pick<Edition, 'slot'>>(editionsOfDate: readonly E[], slot?: string): E | undefined {
  return slot === undefined ? editionsOfDate[0] : editionsOfDate.find((e) => e.slot === slot);
}

/** One published edition: the date's main one, or the one in `slot`. */
export async function findPublishedEdition(db: Db, date: string, slot?: string): Promise<PublishedEdition | undefined> {
  return editionIn(await publishedEditionsOn(db, date), slot);
}

/** Every published edition of the newest `days` dates that have one: newest date first, each date's main first (the archive). */
export async function listPublishedEditions(db: Db, days = 60): Promise<PublishedEdition[]> {
  const dates = db.selectFrom('editions').select('date').distinct().where(published).orderBy('date', 'desc').limit(days);
  return db
    .selectFrom('editions')
    .select(columns)
    .where(published)
    .where('date', 'in', dates)
    .orderBy('date', 'desc')
    .orderBy(mainFirst)
    .execute();
}

/** The `limit` editions that started sending last, newest first (RSS: one item per edition). */
export async function recentPublishedEditions(db: Db, limit = 30): Promise<PublishedEdition[]> {
  return db
    .selectFrom('editions')
    .select(columns)
    .where(published)
    .orderBy(sql`coalesce(started_at, send_at)`, 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/** When an edition went out: when it started sending; rows from before migration 050 that lack it, its send time. */
export function sentAt(edition: Pick<Edition, 'started_at' | 'send_at'>): Date {
  return edition.started_at ?? edition.send_at;
}
