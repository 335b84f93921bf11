import type { Kysely } from 'kysely';
import type { Database, Edition, Story } from '../db/index.js';
import { selectTop, type TopPick } from '../ranking/index.js';

/**
 * The stories of an edition: the ranking's selectTop over the stories published in its window.
 *
 * Unlike stories/findCandidates, stories sent in other editions are not excluded: one reader's
 * editions (same slot every day, or every week) have windows that do not overlap, so nothing repeats
 * for them; excluding other slots' stories would give readers at 07:00 and 08:00 different news.
 * With one DIGEST_CRON slot a day the two picks are the same, so `digest top` shows what is sent.
 */
export async function pickForEdition(
  db: Kysely<Database>,
  edition: Pick<Edition, 'window_start' | 'window_end'>,
  sections: { topStories: number; topBlogs: number },
): Promise<TopPick<Story>> {
  const candidates = await db
    .selectFrom('stories')
    .selectAll()
    .where('kind', 'in', ['story', 'blog'])
    .where('published_at', '>=', edition.window_start)
    .where('published_at', '<', edition.window_end)
    .execute();
  return selectTop(candidates, { at: edition.window_end, ...sections });
}
