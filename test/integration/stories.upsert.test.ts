import { afterEach, describe, expect, it } from 'vitest';
import { importStories, parseStoryBatch, upsertStories } from '../../src/stories/index.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';

const fixture = (name: string) => new URL(`../fixtures/feeds/${name}`, import.meta.url).pathname;

describe.each(ENGINES)('stories upsert on %s', (engine) => {
  let t: TestDatabase;
  afterEach(async () => t?.close());

  it('inserts once and then updates votes, comments and text, never duplicating', async () => {
    t = await createTestDatabase(engine);
    const first = parseStoryBatch([
      { url: 'https://n.example/a', title: 'A', votes: 1, published_at: '2026-11-25T10:00:00Z' },
      { url: 'https://n.example/b', title: 'B', published_at: '2026-11-25T11:00:00Z' },
    ]);
    expect(await upsertStories(t.db, first.items)).toEqual({ inserted: 2, updated: 0, duplicates: 0, ownedElsewhere: [] });
    const again = parseStoryBatch([
      { url: 'https://n.example/a', title: 'A, revised', votes: 9, comments: 4, published_at: '2026-11-25T10:00:00Z' },
    ]);
    expect(await upsertStories(t.db, again.items)).toEqual({ inserted: 0, updated: 1, duplicates: 0, ownedElsewhere: [] });
    const rows = await t.db.selectFrom('stories').select(['url', 'title', 'votes', 'comments']).orderBy('url').execute();
    expect(rows).toEqual([
      { url: 'https://n.example/a', title: 'A, revised', votes: 9, comments: 4 },
      { url: 'https://n.example/b', title: 'B', votes: 0, comments: 0 },
    ]);
  });

  it('lets the last copy of a url win inside one batch, the earlier ones counted as duplicates', async () => {
    t = await createTestDatabase(engine);
    const batch = parseStoryBatch([
      { url: 'https://n.example/a', title: 'first', votes: 1 },
      { url: 'https://n.example/a', title: 'second', votes: 2 },
    ]);
    expect(await upsertStories(t.db, batch.items)).toEqual({ inserted: 1, updated: 0, duplicates: 1, ownedElsewhere: [] });
    expect(await t.db.selectFrom('stories').select(['title', 'votes']).execute()).toEqual([{ title: 'second', votes: 2 }]);
  });

  it('keeps the first-seen date of a story whose source gives none', async () => {
    t = await createTestDatabase(engine);
    const seen = new Date('2026-11-25T08:00:00Z');
    await upsertStories(t.db, parseStoryBatch({ url: 'https://n.example/u', title: 'U' }, { now: seen }).items);
    await upsertStories(
      t.db,
      parseStoryBatch({ url: 'https://n.example/u', title: 'U', votes: 5 }, { now: new Date('2026-11-26T08:00:00Z') }).items,
    );
    const row = await t.db.selectFrom('stories').select(['published_at', 'votes']).executeTakeFirstOrThrow();
    expect(row).toEqual({ published_at: seen, votes: 5 });
  });

  it('imports the RSS and Atom samples, keeping the good items beside the bad one, and re-imports idempotently', async () => {
    t = await createTestDatabase(engine);
    const rss = await importStories(t.db, fixture('news.rss'));
    expect(rss).toMatchObject({ format: 'rss', inserted: 3, updated: 0 });
    expect(rss.problems).toHaveLength(1);
    const atom = await importStories(t.db, fixture('blogs.atom'), { kind: 'blog' });
    expect(atom).toMatchObject({ format: 'atom', inserted: 2, updated: 0, problems: [] });
    const again = await importStories(t.db, fixture('news.rss'));
    expect(again).toMatchObject({ inserted: 0, updated: 3 });
    const kinds = await t.db
      .selectFrom('stories')
      .select(['kind'])
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .groupBy('kind')
      .orderBy('kind')
      .execute();
    expect(kinds).toEqual([
      { kind: 'blog', n: 2 },
      { kind: 'story', n: 3 },
    ]);
  });

  it('leaves nothing behind when the batch fails half-way', async () => {
    t = await createTestDatabase(engine);
    const batch = parseStoryBatch([
      { url: 'https://n.example/ok', title: 'fine' },
      { url: 'https://n.example/bad', title: 'x' },
    ]);
    // A row the validator let through but the database refuses (title over the CHECK's 500 characters).
    const poisoned = [batch.items[0]!, { ...batch.items[1]!, story: { ...batch.items[1]!.story, title: 'y'.repeat(600) } }];
    await expect(upsertStories(t.db, poisoned)).rejects.toThrow();
    expect(await t.db.selectFrom('stories').select('url').execute()).toEqual([]);
  });
});
