import type { Db, Story } from '../db/index.js';
import { findCandidates } from '../stories/index.js';
import type { EditionWindow } from './edition-window.js';
import { selectTop, type TopPick } from './select-top.js';

/** The top stories and blog posts for one edition window, from the database. */
export async function pickTop(
  db: Db,
  window: Pick<EditionWindow, 'start' | 'end'>,
  sections: { topStories: number; topBlogs: number },
): Promise<TopPick<Story>> {
  const candidates = await findCandidates(db, window);
  return selectTop(candidates, { at: window.end, ...sections });
}
