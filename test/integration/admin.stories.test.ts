import { describe, expect, it } from 'vitest';
import { editionWindow } from '../../src/editions/index.js';
import { parseStoryBatch, upsertStories } from '../../src/stories/index.js';
import { adminLogin, adminPost } from '../helpers/admin.js';
import { testConfig } from '../helpers/config.js';
import { SERVICE_ENGINE } from '../helpers/database.js';
import { useTestServer } from '../helpers/http.js';

describe('stories in the admin', () => {
  const config = testConfig({ TOP_STORIES: '2', TOP_BLOGS: '1' });
  const ctx = useTestServer(SERVICE_ENGINE, config);

  it("lists the day's candidates in rank order with scores, and pins and excludes through CSRF-checked forms", async () => {
    const w = editionWindow('2026-11-26', config.digest.cron, config.digest.timeZone);
    const { items } = parseStoryBatch([
      {
        url: 'https://n.example/a',
        title: 'Alpha <b>bold</b>',
        votes: 90,
        published_at: new Date(w.end.getTime() - 3_600_000).toISOString(),
      },
      { url: 'https://n.example/b', title: 'Bravo', votes: 40, published_at: new Date(w.end.getTime() - 2 * 3_600_000).toISOString() },
      { url: 'https://n.example/c', title: 'Charlie', votes: 5, published_at: new Date(w.end.getTime() - 5 * 3_600_000).toISOString() },
    ]);
    await upsertStories(ctx.t.db, items);
    const session = await adminLogin(ctx.url);
    const list = async () => (await fetch(`${ctx.url}/admin/stories?date=2026-11-26`, { headers: { cookie: session.cookie } })).text();

    const before = await list();
    expect(before.indexOf('Alpha &lt;b&gt;bold&lt;/b&gt;')).toBeLessThan(before.indexOf('Bravo'));
    expect(before.indexOf('Bravo')).toBeLessThan(before.indexOf('Charlie'));
    expect(before).toMatch(/Charlie[\s\S]*?<td data-label="Edition">out<\/td>/);

    const charlie = (await ctx.t.db.selectFrom('stories').select('id').where('url', '=', 'https://n.example/c').executeTakeFirstOrThrow())
      .id;
    const alpha = (await ctx.t.db.selectFrom('stories').select('id').where('url', '=', 'https://n.example/a').executeTakeFirstOrThrow()).id;
    expect((await adminPost(ctx.url, `/admin/stories/${charlie}/override`, session, { date: '2026-11-26', action: 'pin' })).status).toBe(
      303,
    );
    expect((await adminPost(ctx.url, `/admin/stories/${alpha}/override`, session, { date: '2026-11-26', action: 'exclude' })).status).toBe(
      303,
    );
    const after = await list();
    expect(after).toMatch(/Charlie[\s\S]*?<td data-label="Edition">pinned, in<\/td>/);
    expect(after).toMatch(/Alpha[\s\S]*?<td data-label="Edition">excluded<\/td>/);
    const rows = await ctx.t.db.selectFrom('story_overrides').select(['story_id', 'action']).orderBy('story_id').execute();
    expect(rows).toEqual([
      { story_id: alpha, action: 'exclude' },
      { story_id: charlie, action: 'pin' },
    ]);

    // Without the CSRF token nothing changes.
    const forged = await fetch(`${ctx.url}/admin/stories/${charlie}/override`, {
      method: 'POST',
      headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'date=2026-11-26&action=clear',
    });
    expect(forged.status).toBe(403);
    expect(await ctx.t.db.selectFrom('story_overrides').select('story_id').execute()).toHaveLength(2);
  });
});
