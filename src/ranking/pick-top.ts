import type { Db, Story } from '../db/index.js';
import { findCandidates, NO_OVERRIDES, overridesFor } from '../stories/index.js';
import { selectTop, type TopPick } from './select-top.js';

/**
 * The top stories and blog posts of one edition, from the database: the window's candidates, the
 * editor's pins and exclusions for that date, and the pure ranking. The one pick used by the send,
 * the preview, `digest top` and the admin, so what they show is what goes out.
 */
export async function pickTop(
  db: Db,
  window: { readonly start: Date; readonly end: Date; readonly date?: string },
  sections: { topStories: number; topBlogs: number },
  options: { excludeSentDaily?: boolean } = {},
): Promise<TopPick<Story>> {
  const [candidates, choices] = await Promise.all([
    findCandidates(db, window, options),
    window.date ? overridesFor(db, window.date) : Promise.resolve(NO_OVERRIDES),
  ]);
  return selectTop(candidates, { at: window.end, ...sections, ...choices });
}
