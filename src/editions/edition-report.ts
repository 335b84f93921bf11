import { sql } from 'kysely';
import type { Db, Story } from '../db/index.js';

export interface FailureGroup {
  readonly error: string;
  readonly count: number;
}

/** Why an edition's failed deliveries failed, most common first (relay replies, classified). */
export async function editionFailures(db: Db, editionId: number, limit = 10): Promise<FailureGroup[]> {
  const rows = await sql<{ error: string | null; n: number }>`
    SELECT error, count(*)::int AS n FROM deliveries
     WHERE edition_id = ${editionId} AND status = 'failed'
     GROUP BY error ORDER BY n DESC LIMIT ${limit}`.execute(db);
  return rows.rows.map((r) => ({ error: r.error ?? '(no reply recorded)', count: Number(r.n) }));
}

/** The stories an edition carried, in the order it showed them. */
export async function editionStories(db: Db, storyIds: readonly number[]): Promise<Story[]> {
  if (storyIds.length === 0) return [];
  const rows = await db
    .selectFrom('stories')
    .selectAll()
    .where('id', 'in', [...storyIds])
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return storyIds.map((id) => byId.get(id)).filter((s): s is Story => s !== undefined);
}
