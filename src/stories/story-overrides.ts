import type { Db, StoryOverrideAction } from '../db/index.js';

export interface Overrides {
  readonly pinned: ReadonlySet<number>;
  readonly excluded: ReadonlySet<number>;
}

export const NO_OVERRIDES: Overrides = { pinned: new Set(), excluded: new Set() };

/** Pins a story into the edition of `date`, keeps it out, or (null) clears the editor's choice. */
export async function setOverride(db: Db, date: string, storyId: number, action: StoryOverrideAction | null): Promise<void> {
  if (action === null) {
    await db.deleteFrom('story_overrides').where('edition_date', '=', date).where('story_id', '=', storyId).execute();
    return;
  }
  await db
    .insertInto('story_overrides')
    .values({ edition_date: date, story_id: storyId, action })
    .onConflict((oc) => oc.columns(['edition_date', 'story_id']).doUpdateSet({ action, created_at: new Date() }))
    .execute();
}

export async function overridesFor(db: Db, date: string): Promise<Overrides> {
  const rows = await db.selectFrom('story_overrides').select(['story_id', 'action']).where('edition_date', '=', date).execute();
  return {
    pinned: new Set(rows.filter((r) => r.action === 'pin').map((r) => r.story_id)),
    excluded: new Set(rows.filter((r) => r.action === 'exclude').map((r) => r.story_id)),
  };
}
