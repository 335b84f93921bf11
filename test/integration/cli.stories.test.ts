import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDigest } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const fixture = (name: string) => new URL(`../fixtures/feeds/${name}`, import.meta.url).pathname;
const SECRET = 'cli-test-secret-0123456789';

describe('digest stories import and digest top, as processes on PostgreSQL', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('postgres');
  });
  afterAll(async () => t?.close());

  it('imports a feed, reports the rejected item by position, and prints the pick', async () => {
    const env = { DATABASE_URL: t.url, SECRET };
    const imported = await runDigest(['stories', 'import', fixture('news.rss')], env);
    expect(imported.stdout).toContain('news.rss (rss): 3 new, 0 updated, 1 rejected');
    expect(imported.stderr).toContain('rejected item 4: url is missing');
    expect(imported.code).toBe(1);

    const blogs = await runDigest(['stories', 'import', fixture('blogs.atom'), '--kind', 'blog'], env);
    expect(blogs).toMatchObject({ code: 0 });
    expect(blogs.stdout).toContain('2 new, 0 updated, 0 rejected');

    const top = await runDigest(['top', '--date', '2019-05-16', '--json'], { ...env, DIGEST_TZ: 'Asia/Amman' });
    expect(top.code).toBe(0);
    const pick = JSON.parse(top.stdout) as { stories: { title: string; rank: number }[]; blogs: { title: string }[] };
    expect(pick.stories.map((s) => s.title)).toEqual([
      'Turkey and Russia discuss reducing tension in Idlib',
      'Prices & wages: what “stability” means for Amman’s families',
    ]);
    // Neither blog post has votes or comments: the newer one ranks first.
    expect(pick.blogs.map((s) => s.title)).toEqual(['Tom & Jerry’s guide to <script> tags', 'Why Idlib matters']);
  });

  it('exits 2 on a usage error and 1 with one line per bad setting', async () => {
    expect((await runDigest(['top', '--no-such-flag'], { DATABASE_URL: t.url, SECRET })).code).toBe(2);
    const bad = await runDigest(['top'], { DATABASE_URL: t.url, SECRET, DIGEST_CRON: '0 6 * *', TOP_BLOGS: 'five' });
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toEqual([
      'config: DIGEST_CRON "0 6 * *" is not a cron expression: it has 4 fields; it needs 5 (minute hour day-of-month month day-of-week) or 6 (second first)',
      'config: TOP_BLOGS "five" is not a whole number',
    ]);
  });
});

// The embedded database shared by serve and the CLI: cli.beside-serve.test.ts.

describe('digest stats, as a process on PostgreSQL', () => {
  it("prints subscribers by state and the day's joins", async () => {
    const t = await createTestDatabase('postgres');
    try {
      const [a] = await t.db
        .insertInto('subscribers')
        .values([
          { email: 'a@example.com', status: 'active' },
          { email: 'b@example.com', status: 'pending' },
        ])
        .returning('id')
        .execute();
      await t.db.insertInto('subscriber_events').values({ subscriber_id: a!.id, type: 'confirmed' }).execute();
      const out = await runDigest(['stats', '--days', '3'], { DATABASE_URL: t.url, SECRET });
      expect(out.code).toBe(0);
      expect(out.stdout).toContain('subscribers: 1 active, 1 awaiting confirmation, 0 unsubscribed, 0 bounced');
      const today = new Date().toISOString().slice(0, 10);
      expect(out.stdout).toMatch(new RegExp(`${today}\\s+1\\s+1\\s+0\\s+0`));
      const json = JSON.parse((await runDigest(['stats', '--json'], { DATABASE_URL: t.url, SECRET })).stdout) as {
        subscribers: Record<string, number>;
      };
      expect(json.subscribers).toEqual({ pending: 1, active: 1, unsubscribed: 0, bounced: 0 });
    } finally {
      await t.close();
    }
  });
});
