import { asEdition } from '../helpers/stories.js';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/config/index.js';
import { dailySpecs, prepareEdition } from '../../src/editions/index.js';
import { editionWindow, pickForEdition } from '../../src/editions/index.js';
import { parseStoryBatch, setOverride, upsertStories } from '../../src/stories/index.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';
import { seedReaders } from '../helpers/delivery.js';

describe.each(ENGINES)('pinning and excluding stories on %s', (engine) => {
  let t: TestDatabase;
  afterEach(async () => t?.close());

  it('puts a pinned story in the edition and keeps an excluded one out, for that date only — in the pick and in what is sent', async () => {
    t = await createTestDatabase(engine);
    const config = testConfig({ TOP_STORIES: '2', TOP_BLOGS: '0', SMTP_URL: 'smtp://127.0.0.1:9' });
    const w = editionWindow('2026-11-26', config.digest.cron, config.digest.timeZone);
    const { items } = parseStoryBatch(
      ['hot', 'warm', 'quiet'].map((slug, i) => ({
        url: `https://n.example/${slug}`,
        title: slug,
        votes: 100 - i * 45,
        published_at: new Date(w.end.getTime() - (i + 1) * 3_600_000).toISOString(),
      })),
    );
    await upsertStories(t.db, items);
    const id = async (slug: string) =>
      (await t.db.selectFrom('stories').select('id').where('url', '=', `https://n.example/${slug}`).executeTakeFirstOrThrow()).id;
    expect((await pickForEdition(t.db, asEdition(w), config.sections)).stories.map((s) => s.title)).toEqual(['hot', 'warm']);

    await setOverride(t.db, '2026-11-26', await id('quiet'), 'pin');
    await setOverride(t.db, '2026-11-26', await id('hot'), 'exclude');
    const pick = await pickForEdition(t.db, asEdition(w), config.sections);
    expect(pick.stories.map((s) => [s.title, s.pinned])).toEqual([
      ['quiet', true],
      ['warm', false],
    ]);
    // Another day's edition is not affected.
    const other = editionWindow('2026-11-27', config.digest.cron, config.digest.timeZone);
    expect((await pickForEdition(t.db, asEdition({ ...other, start: w.start }), config.sections)).stories.map((s) => s.title)).toEqual([
      'hot',
      'warm',
    ]);

    // The send uses the same pick.
    await seedReaders(t.db, 1);
    const spec = dailySpecs(config, '2026-11-26')[0]!;
    const prepared = await prepareEdition({ db: t.db, config, log: silentLogger }, spec, { now: new Date(spec.sendAt.getTime() + 60_000) });
    expect(prepared.edition.story_ids).toEqual([await id('quiet'), await id('warm')]);

    await setOverride(t.db, '2026-11-26', await id('hot'), null);
    expect((await pickForEdition(t.db, asEdition(w), config.sections)).stories.map((s) => s.title)).toContain('hot');
  });
});
