import { sql } from 'kysely';
import type { Db, Story } from '../db/index.js';

/**
 * The stories an edition may pick from: published inside [start, end), not already sent in an edition
 * that went out before `end`. The (kind, published_at) index makes each kind's window a range scan
 * however large the archive (test/integration/ranking.explain.test.ts shows the plan on 1M rows).
 */
export function candidatesQuery(db: Db, window: { start: Date; end: Date }) {
  return db
    .selectFrom('stories as s')
    .selectAll('s')
    .where('s.kind', 'in', ['story', 'blog'])
    .where('s.published_at', '>=', window.start)
    .where('s.published_at', '<', window.end)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('editions as e')
            .select(sql.lit(1).as('one'))
            .where('e.status', 'in', ['sending', 'sent'])
            .where('e.send_at', '<', window.end)
            .where(sql<boolean>`s.id = ANY(e.story_ids)`),
        ),
      ),
    );
}

export function findCandidates(db: Db, window: { start: Date; end: Date }): Promise<Story[]> {
  return candidatesQuery(db, window).execute();
}
