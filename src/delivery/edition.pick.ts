import type { Db, Edition, Story } from '../db/index.js';
import { pickTop, type TopPick } from '../ranking/index.js';

/**
 * The stories of an edition: the ranking's pick over its window, with the editor's pins and
 * exclusions for its date.
 *
 * Daily editions leave out stories an earlier daily edition already sent (two DIGEST_CRON slots a
 * day go to the same readers). Hourly and weekly editions do not: one reader's editions of those
 * kinds (same slot every day, or every week) have windows that never overlap, and excluding another
 * slot's stories would give readers at 07:00 and 08:00 different news. `digest top` makes the daily
 * pick, so it shows what the daily edition sends.
 */
export function pickForEdition(
  db: Db,
  edition: Pick<Edition, 'window_start' | 'window_end' | 'date' | 'kind'>,
  sections: { topStories: number; topBlogs: number },
): Promise<TopPick<Story>> {
  return pickTop(db, { start: edition.window_start, end: edition.window_end, date: edition.date }, sections, {
    excludeSentDaily: edition.kind === 'daily',
  });
}
