import { parseRssFeed } from 'feedsmith';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, testConfig } from '../helpers/config.js';
import { createTestDatabase, SERVICE_ENGINE, type TestDatabase } from '../helpers/database.js';
import { startTestServer, type TestServer } from '../helpers/http.js';
import { fixtureStory, referenceArticle } from '../helpers/stories.js';

let database: TestDatabase;
let server: TestServer;

async function insertStory(story: ReturnType<typeof fixtureStory>): Promise<number> {
  const { id: _id, created_at: _c, modified_at: _m, ...row } = story;
  const inserted = await database.db.insertInto('stories').values(row).returning('id').executeTakeFirstOrThrow();
  return inserted.id;
}

async function insertEdition(date: string, status: 'sent' | 'planned', storyIds: number[], subject: string) {
  await database.db
    .insertInto('editions')
    .values({
      date,
      slot: '06:00',
      status,
      send_at: `${date}T06:00:00Z`,
      cutoff_at: `${date}T12:00:00Z`,
      window_start: new Date(Date.parse(`${date}T06:00:00Z`) - 86_400_000),
      window_end: `${date}T06:00:00Z`,
      subject,
      story_ids: storyIds,
    })
    .execute();
}

beforeAll(async () => {
  database = await createTestDatabase(SERVICE_ENGINE);
  const ids = [
    await insertStory(referenceArticle()),
    await insertStory(fixtureStory({ title: '<script>alert(1)</script>', url: 'https://news.example.com/hostile' })),
    await insertStory(fixtureStory({ kind: 'blog', title: 'A blog post', url: 'https://blog.example.org/post' })),
  ];
  await insertEdition('2026-11-25', 'sent', ids, 'Turkey and Russia discuss reducing tension in Idlib · Wed 25 Nov');
  await insertEdition('2026-11-26', 'planned', ids, 'not yet');
  server = await startTestServer(database, testConfig({ PUBLIC_URL: 'https://digest.example.com', SITE_NAME: 'The Morning Post' }));
});

afterAll(async () => {
  await server?.close();
  await database?.close();
});

describe('edition pages', () => {
  it('GET /editions/:date shows a sent edition in the browser, with no personal parts', async () => {
    const res = await fetch(`${server.url}/editions/2026-11-25`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('Turkey and Russia discuss reducing tension in Idlib');
    expect(html).toContain('From the blogs');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).not.toMatch(/%%[a-z_]+%%/);
    expect(html).not.toMatch(/\/u\/|\/p\/|Unsubscribe/);
  });

  it('answers 404 for an edition not yet sent, a date with none, and a malformed date', async () => {
    for (const path of ['/editions/2026-11-26', '/editions/2020-01-01', '/editions/2026-13-45', '/editions/nope']) {
      expect((await fetch(server.url + path)).status, path).toBe(404);
    }
  });

  it('GET /editions lists sent editions only', async () => {
    const html = await (await fetch(`${server.url}/editions`)).text();
    expect(html).toContain('href="/editions/2026-11-25"');
    expect(html).toContain('Wednesday, 25 November 2026');
    expect(html).not.toContain('2026-11-26');
  });

  it('GET /editions/feed.xml is an RSS feed of past editions', async () => {
    const res = await fetch(`${server.url}/editions/feed.xml`);
    expect(res.headers.get('content-type')).toMatch(/application\/rss\+xml/);
    const feed = parseRssFeed(await res.text());
    expect(feed.title).toBe('The Morning Post');
    expect(feed.items?.map((i) => i.link)).toEqual(['https://digest.example.com/editions/2026-11-25']);
    expect(feed.items?.[0]?.title).toBe('Turkey and Russia discuss reducing tension in Idlib · Wed 25 Nov');
  });

  it('GET /admin/preview needs the admin token and shows phone and desktop widths side by side', async () => {
    expect((await fetch(`${server.url}/admin/preview?date=2026-11-26`)).status).toBe(401);
    const res = await fetch(`${server.url}/admin/preview?date=2026-11-26`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/<iframe title="preview at 375 px" width="375"/);
    expect(html).toMatch(/<iframe title="preview at 800 px" width="800"/);
    expect(html).toContain('preflight ok');
    expect((await fetch(`${server.url}/admin/preview?date=bad`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(400);
  });
});
