import type { Db, Edition } from '../db/index.js';

/**
 * Read-only queries behind the public edition pages. An edition is public once its send has
 * started ('sending' or 'sent'): "view in browser" must work from the first message delivered.
 */
const PUBLISHED = ['sending', 'sent'] as const;

export type PublishedEdition = Pick<Edition, 'id' | 'date' | 'slot' | 'subject' | 'story_ids' | 'send_at' | 'updated_at'>;

const columns = ['id', 'date', 'slot', 'subject', 'story_ids', 'send_at', 'updated_at'] as const;

/** Newest first. Several slots on one date show as one entry (the first slot's). */
export async function listPublishedEditions(db: Db, limit = 60): Promise<PublishedEdition[]> {
  const rows = await db
    .selectFrom('editions')
    .select(columns)
    .where('status', 'in', PUBLISHED)
    .orderBy('date', 'desc')
    .orderBy('slot', 'asc')
    .limit(limit * 4)
    .execute();
  const seen = new Set<string>();
  return rows.filter((r) => !seen.has(r.date) && seen.add(r.date)).slice(0, limit);
}

export async function findPublishedEdition(db: Db, date: string): Promise<PublishedEdition | undefined> {
  return db
    .selectFrom('editions')
    .select(columns)
    .where('date', '=', date)
    .where('status', 'in', PUBLISHED)
    .orderBy('slot', 'asc')
    .limit(1)
    .executeTakeFirst();
}

