import type { Db, Edition, Story } from '../db/index.js';
import { selectTop, type TopPick } from '../ranking/index.js';
import { findCandidates, NO_OVERRIDES, overridesFor } from '../stories/index.js';

/**
 * The stories of an edition: the window's candidates, the editor's pins and exclusions for its date,
 * and the pure ranking. The one pick used by the send, the preview, `digest top` and the admin, so
 * what they show is what goes out.
 *
 * Daily editions leave out stories an earlier daily edition already sent (two DIGEST_CRON slots a
 * day go to the same readers). Hourly and weekly editions do not: one reader's editions of those
 * kinds (same slot every day, or every week) have windows that never overlap, and excluding another
 * slot's stories would give readers at 07:00 and 08:00 different news. A weekly edition ranks on a
 * scale of days, not hours: over seven days, age in hours would bury Monday's best story under
 * Sunday's quietest.
 */
export async function pickForEdition(
  db: Db,
  edition: Pick<Edition, 'window_start' | 'window_end' | 'date' | 'kind'>,
  sections: { topStories: number; topBlogs: number },
): Promise<TopPick<Story>> {
  const window = { start: edition.window_start, end: edition.window_end };
  const [candidates, choices] = await Promise.all([
    findCandidates(db, window, { excludeSentDaily: edition.kind === 'daily' }),
    edition.date ? overridesFor(db, edition.date) : Promise.resolve(NO_OVERRIDES),
  ]);
  return selectTop(candidates, { at: window.end, ...sections, ...choices, ageUnitHours: edition.kind === 'weekly' ? 24 : 1 });
}
