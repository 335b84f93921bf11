import { asEdition } from '../helpers/stories.js';
import { afterEach, describe, expect, it } from 'vitest';
import { editionWindow, pickForEdition } from '../../src/editions/index.js';
import { parseStoryBatch, upsertStories } from '../../src/stories/index.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';

const window = editionWindow('2026-11-26', '0 6 * * *', 'UTC'); // 2026-11-25T06:00Z – 2026-11-26T06:00Z

async function seed(t: TestDatabase) {
  const { items } = parseStoryBatch([
    { url: 'https://n.example/hot', title: 'Hot', votes: 90, comments: 20, published_at: '2026-11-26T01:00:00Z' },
    { url: 'https://n.example/warm', title: 'Warm', votes: 20, published_at: '2026-11-25T20:00:00Z' },
    { url: 'https://n.example/cold', title: 'Cold', votes: 1, published_at: '2026-11-25T07:00:00Z' },
    { url: 'https://n.example/too-old', title: 'Too old', votes: 999, published_at: '2026-11-25T05:59:59Z' },
    { url: 'https://n.example/too-new', title: 'After the send', votes: 999, published_at: '2026-11-26T06:00:00Z' },
    { url: 'https://b.example/essay', title: 'Essay', kind: 'blog', votes: 5, published_at: '2026-11-25T22:00:00Z' },
  ]);
  await upsertStories(t.db, items);
}

describe.each(ENGINES)("the day's pick on %s", (engine) => {
  let t: TestDatabase;
  afterEach(async () => t?.close());

  it('takes only stories published inside the 24 h window, ranked, per section', async () => {
    t = await createTestDatabase(engine);
    await seed(t);
    const pick = await pickForEdition(t.db, asEdition(window), { topStories: 10, topBlogs: 5 });
    expect(pick.stories.map((s) => s.title)).toEqual(['Hot', 'Warm', 'Cold']);
    expect(pick.blogs.map((s) => s.title)).toEqual(['Essay']);
  });

  it('leaves out stories already sent in an earlier edition, but not those of one that never went out', async () => {
    t = await createTestDatabase(engine);
    await seed(t);
    const hot = await t.db.selectFrom('stories').select('id').where('url', '=', 'https://n.example/hot').executeTakeFirstOrThrow();
    const warm = await t.db.selectFrom('stories').select('id').where('url', '=', 'https://n.example/warm').executeTakeFirstOrThrow();
    const earlier = {
      send_at: new Date('2026-11-26T02:00:00Z'),
      cutoff_at: new Date('2026-11-26T08:00:00Z'),
      window_start: new Date('2026-11-25T02:00:00Z'),
      window_end: new Date('2026-11-26T02:00:00Z'),
    };
    await t.db
      .insertInto('editions')
      .values({ date: '2026-11-26', slot: '02:00', status: 'sent', story_ids: [hot.id], ...earlier })
      .execute();
    await t.db
      .insertInto('editions')
      .values({ date: '2026-11-26', slot: '03:00', status: 'expired', story_ids: [warm.id], ...earlier })
      .execute();
    const pick = await pickForEdition(t.db, asEdition(window), { topStories: 10, topBlogs: 5 });
    expect(pick.stories.map((s) => s.title)).toEqual(['Warm', 'Cold']);
  });

  it('respects the section sizes', async () => {
    t = await createTestDatabase(engine);
    await seed(t);
    const pick = await pickForEdition(t.db, asEdition(window), { topStories: 2, topBlogs: 0 });
    expect(pick.stories.map((s) => s.title)).toEqual(['Hot', 'Warm']);
    expect(pick.blogs).toEqual([]);
  });
});
