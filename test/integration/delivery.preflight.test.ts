import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/config/index.js';
import { dailySpecs, prepareEdition } from '../../src/editions/index.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';
import { seedReaders } from '../helpers/delivery.js';

describe.each(ENGINES)('preflight before a send on %s', (engine) => {
  let t: TestDatabase;
  afterEach(async () => t?.close());

  it('stops an edition over the 102 KB clipping budget: failed with the reason, no delivery created', async () => {
    t = await createTestDatabase(engine);
    const config = testConfig({ TOP_STORIES: '100', TOP_BLOGS: '0', SMTP_URL: 'smtp://127.0.0.1:9' });
    const spec = dailySpecs(config, '2026-11-26')[0]!;
    await seedReaders(t.db, 3);
    // 100 stories with long titles and teasers: far over what Gmail shows before "[Message clipped]".
    await t.db
      .insertInto('stories')
      .values(
        Array.from({ length: 100 }, (_, i) => ({
          url: `https://news.example.com/long/${i}`,
          kind: 'story' as const,
          title: `A very long headline number ${i} `.repeat(6).trim(),
          summary: 'A teaser that goes on and on. '.repeat(12),
          published_at: new Date(spec.sendAt.getTime() - (i + 1) * 60_000),
        })),
      )
      .execute();
    const prepared = await prepareEdition({ db: t.db, config, log: silentLogger }, spec, { now: new Date(spec.sendAt.getTime() + 60_000) });
    expect(prepared.outcome).toBe('failed');
    expect(prepared.edition.status).toBe('failed');
    expect(prepared.edition.error).toMatch(/^preflight [a-z_]+: .*102/m);
    const deliveries = await t.db.selectFrom('deliveries').select('id').execute();
    expect(deliveries).toEqual([]);
  });

  it('lets a normal edition through to sending', async () => {
    t = await createTestDatabase(engine);
    const config = testConfig({ SMTP_URL: 'smtp://127.0.0.1:9' });
    const spec = dailySpecs(config, '2026-11-26')[0]!;
    await seedReaders(t.db, 2);
    await t.db
      .insertInto('stories')
      .values({
        url: 'https://news.example.com/ok',
        kind: 'story',
        title: 'Fine',
        published_at: new Date(spec.sendAt.getTime() - 3_600_000),
      })
      .execute();
    const prepared = await prepareEdition({ db: t.db, config, log: silentLogger }, spec, { now: new Date(spec.sendAt.getTime() + 60_000) });
    expect(prepared).toMatchObject({ outcome: 'created', deliveriesCreated: 2 });
    expect(prepared.edition.status).toBe('sending');
  });
});
