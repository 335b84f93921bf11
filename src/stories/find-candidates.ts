import { sql } from 'kysely';
import type { Db, Story } from '../db/index.js';

export interface CandidateOptions {
  /**
   * Leave out stories already sent in an earlier *daily* edition (one whose send time is before this
   * window's end). Daily editions go to the same readers, so with two DIGEST_CRON slots a day the
   * evening one must not repeat the morning's. Hourly and weekly editions have windows that never
   * overlap for the readers they go to, so they pass false.
   */
  readonly excludeSentDaily?: boolean;
}

/**
 * The stories an edition may pick from: published inside [start, end). The (kind, published_at)
 * index makes each kind's window a range scan however large the archive
 * (test/integration/ranking.explain.test.ts shows the plan on 1M rows).
 */
export function candidatesQuery(db: Db, window: { start: Date; end: Date }, options: CandidateOptions = {}) {
  let query = db
    .selectFrom('stories as s')
    .selectAll('s')
    .where('s.kind', 'in', ['story', 'blog'])
    .where('s.published_at', '>=', window.start)
    .where('s.published_at', '<', window.end);
  if (options.excludeSentDaily !== false) {
    query = query.where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('editions as e')
            .select(sql.lit(1).as('one'))
            .where('e.kind', '=', 'daily')
            .where('e.status', 'in', ['sending', 'sent'])
            .where('e.send_at', '<', window.end)
            .where(sql<boolean>`s.id = ANY(e.story_ids)`),
        ),
      ),
    );
  }
  return query;
}

export function findCandidates(db: Db, window: { start: Date; end: Date }, options: CandidateOptions = {}): Promise<Story[]> {
  return candidatesQuery(db, window, options).execute();
}
