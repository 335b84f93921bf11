import { parseRssFeed } from 'feedsmith';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EditionKind, EditionStatus } from '../../src/db/index.js';
import { ADMIN_TOKEN, testConfig } from '../helpers/config.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';
import { startTestServer, type TestServer } from '../helpers/http.js';
import { fixtureStory, referenceArticle } from '../helpers/stories.js';

/**
 * One page per edition, through a real server on both engines. 2026-11-27 has two daily slots, a
 * weekly edition and a readers'-own-hour edition, each with stories of its own: a page must show
 * its own edition's stories and no other's.
 */
const D = '2026-11-27';
const PUBLIC_URL = 'https://digest.example.com';
const CSP =
  "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

describe.each(ENGINES)('edition pages on %s', (engine) => {
  let database: TestDatabase;
  let server: TestServer;

  async function insertStory(story: ReturnType<typeof fixtureStory>): Promise<number> {
    const { id: _id, created_at: _c, modified_at: _m, ...row } = story;
    const inserted = await database.db.insertInto('stories').values(row).returning('id').executeTakeFirstOrThrow();
    return inserted.id;
  }

  /** The row as the lifecycle leaves it; `time` is the slot's UTC send time. */
  async function insertEdition(
    date: string,
    status: EditionStatus,
    storyIds: number[],
    subject: string,
    edition: { slot?: string; kind?: EditionKind; time?: string; startedAt?: string } = {},
  ) {
    const sendAt = `${date}T${edition.time ?? '06:00'}:00Z`;
    await database.db
      .insertInto('editions')
      .values({
        date,
        slot: edition.slot ?? '06:00',
        kind: edition.kind ?? 'daily',
        status,
        send_at: sendAt,
        cutoff_at: new Date(Date.parse(sendAt) + 6 * 3_600_000),
        started_at: edition.startedAt ?? null,
        window_start: new Date(Date.parse(sendAt) - 86_400_000),
        window_end: sendAt,
        subject,
        story_ids: storyIds,
      })
      .execute();
  }

  const story = (title: string, kind: 'story' | 'blog' = 'story') =>
    insertStory(fixtureStory({ kind, title, url: `https://news.example.com/${title.toLowerCase().replace(/\W+/g, '-')}` }));

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    const ids = [
      await insertStory(referenceArticle()),
      await insertStory(fixtureStory({ title: '<script>alert(1)</script>', url: 'https://news.example.com/hostile' })),
      await insertStory(fixtureStory({ kind: 'blog', title: 'A blog post', url: 'https://blog.example.org/post' })),
    ];
    await insertEdition('2026-11-25', 'sent', ids, 'Turkey and Russia discuss reducing tension in Idlib · Wed 25 Nov');
    await insertEdition('2026-11-26', 'planned', ids, 'not yet');

    // Inserted out of order: the main edition is the first daily slot, not the first row.
    await insertEdition(D, 'sent', [await story('Evening story')], 'Evening story · Fri 27 Nov', {
      slot: '18:00',
      time: '18:00',
      startedAt: `${D}T18:00:05Z`,
    });
    await insertEdition(D, 'sent', [await story('Weekly story')], 'Weekly story · Fri 27 Nov', {
      slot: 'weekly 06:00',
      kind: 'weekly',
      startedAt: `${D}T06:00:09Z`,
    });
    await insertEdition(D, 'sending', [await story('Own hour story')], 'Own hour story · Fri 27 Nov', {
      slot: '22:00Z',
      kind: 'hourly',
      time: '22:00',
      startedAt: `${D}T22:00:01Z`,
    });
    await insertEdition(D, 'sent', [await story('Morning story'), await story('Morning blog', 'blog')], 'Morning story · Fri 27 Nov', {
      startedAt: `${D}T06:00:07Z`,
    });
    await insertEdition(D, 'failed', [await story('Failed story')], 'never sent', { slot: '12:00', time: '12:00' });

    // A date with only a weekly edition; a date whose editions expired, one part-way through its send.
    await insertEdition('2026-11-22', 'sent', [await story('Lone weekly story')], 'Lone weekly', {
      slot: 'weekly 06:00',
      kind: 'weekly',
      startedAt: '2026-11-22T06:00:02Z',
    });
    await insertEdition('2026-11-28', 'expired', [await story('Half-sent story')], 'Half-sent', { startedAt: '2026-11-28T06:00:03Z' });
    await insertEdition('2026-11-28', 'expired', [await story('Never-sent story')], 'Never sent', { slot: '18:00', time: '18:00' });

    server = await startTestServer(database, testConfig({ PUBLIC_URL, SITE_NAME: 'The Morning Post' }));
  });

  afterAll(async () => {
    await server?.close();
    await database?.close();
  });

  const get = (path: string) => fetch(server.url + path);
  const text = async (path: string) => {
    const res = await get(path);
    expect(res.status, path).toBe(200);
    return res.text();
  };

  it('GET /editions/:date shows a sent edition in the browser, with no personal parts', async () => {
    const res = await get('/editions/2026-11-25');
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

  it("GET /editions/:date shows the first daily slot's stories only, and links to the date's other editions", async () => {
    const html = await text(`/editions/${D}`);
    expect(html).toContain('Morning story');
    expect(html).toContain('Morning blog');
    for (const other of ['Evening story', 'Weekly story', 'Own hour story', 'Failed story']) expect(html).not.toContain(other);
    expect(html).toContain(`href="/editions/${D}/18-00">18:00 edition</a>`);
    expect(html).toContain(`href="/editions/${D}/weekly-06-00">Weekly edition</a>`);
    expect(html).toContain(`href="/editions/${D}/22-00z">22:00 UTC edition</a>`);
    expect(html).not.toContain(`href="/editions/${D}/12-00"`);
    expect(html).toContain(`<link rel="canonical" href="${PUBLIC_URL}/editions/${D}/06-00">`);
  });

  it.each([
    ['06-00', 'Morning story', ['Evening story', 'Weekly story', 'Own hour story']],
    ['18-00', 'Evening story', ['Morning story', 'Weekly story', 'Own hour story']],
    ['weekly-06-00', 'Weekly story', ['Morning story', 'Evening story', 'Own hour story']],
    ['22-00z', 'Own hour story', ['Morning story', 'Evening story', 'Weekly story']],
  ])("GET /editions/:date/%s shows that edition's stories and no other's", async (segment, own, others) => {
    const html = await text(`/editions/${D}/${segment}`);
    expect(html).toContain(own);
    for (const other of others) expect(html).not.toContain(other);
    expect(html).not.toContain(`href="/editions/${D}/${segment}"`);
    if (segment !== '06-00') expect(html).toContain(`href="/editions/${D}/06-00">06:00 edition</a>`);
  });

  it('a date with no daily edition shows its first published one; an edition that expired part-way stays readable', async () => {
    expect(await text('/editions/2026-11-22')).toContain('Lone weekly story');
    const html = await text('/editions/2026-11-28');
    expect(html).toContain('Half-sent story');
    expect(html).not.toContain('Never-sent story');
  });

  it('answers the localized 404 page for an edition not yet sent, a date with none, a malformed date and an unknown slot', async () => {
    for (const path of [
      '/editions/2026-11-26',
      '/editions/2020-01-01',
      '/editions/2026-13-45',
      '/editions/nope',
      `/editions/${D}/12-00`,
      `/editions/${D}/07-00`,
      `/editions/${D}/06:00`,
      `/editions/${D}/99-00`,
      `/editions/${D}/weekly`,
      '/editions/2026-11-28/18-00',
      '/editions/2026-11-26/06-00',
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).toContain('No edition on');
    }
  });

  it('pages refuse scripts, framing and content sniffing', async () => {
    for (const path of [`/editions/${D}`, `/editions/${D}/18-00`, '/editions', `/editions/${D}/nope`]) {
      const res = await get(path);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('content-security-policy'), path).toBe(CSP);
    }
    expect((await get('/editions/feed.xml')).headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('GET /editions lists sent editions only', async () => {
    const html = await text('/editions');
    expect(html).toContain('href="/editions/2026-11-25"');
    expect(html).toContain('Wednesday, 25 November 2026');
    expect(html).not.toContain('2026-11-26');
    // Sent early (Send now in the evening), tomorrow's edition is in the archive too: nothing calls it past.
    expect(html).toContain('<h1>The Morning Post: the archive</h1>');
    expect(html).not.toMatch(/past editions/i);
  });

  it('GET /editions lists every published edition, newest date first, each at its own address', async () => {
    const html = await text('/editions');
    const at = (s: string) => html.indexOf(s);
    expect(at('href="/editions/2026-11-28"')).toBeGreaterThan(-1);
    expect(at('href="/editions/2026-11-28"')).toBeLessThan(at(`href="/editions/${D}"`));
    expect(at(`href="/editions/${D}"`)).toBeLessThan(at('href="/editions/2026-11-25"'));
    expect(at('href="/editions/2026-11-25"')).toBeLessThan(at('href="/editions/2026-11-22"'));
    expect(html).toContain('Morning story · Fri 27 Nov');
    for (const slot of ['18-00', 'weekly-06-00', '22-00z']) expect(html).toContain(`href="/editions/${D}/${slot}"`);
    expect(html).not.toContain(`/editions/${D}/12-00`);
    expect(html).not.toContain('/editions/2026-11-28/18-00');
  });

  it('GET /editions/feed.xml is an RSS feed of past editions', async () => {
    const res = await get('/editions/feed.xml');
    expect(res.headers.get('content-type')).toMatch(/application\/rss\+xml/);
    const feed = parseRssFeed(await res.text());
    expect(feed.title).toBe('The Morning Post');
    // Was the date's URL; each edition now has its own, stable, link and guid.
    expect(feed.items?.map((i) => i.link)).toContain(`${PUBLIC_URL}/editions/2026-11-25/06-00`);
    expect(feed.items?.find((i) => i.link === `${PUBLIC_URL}/editions/2026-11-25/06-00`)?.title).toBe(
      'Turkey and Russia discuss reducing tension in Idlib · Wed 25 Nov',
    );
  });

  it('GET /admin/preview needs the admin token and shows phone and desktop widths side by side, in the admin layout', async () => {
    expect((await get('/admin/preview?date=2026-11-26')).status).toBe(401);
    const res = await fetch(`${server.url}/admin/preview?date=2026-11-26`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/<iframe class="preview" title="preview at 375 px" width="375"/);
    expect(html).toMatch(/<iframe class="preview" title="preview at 800 px" width="800"/);
    expect(html).toContain('preflight ok');
    expect(html).toContain('<header class="bar">');
    expect((await fetch(`${server.url}/admin/preview?date=bad`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(400);
  });

  it('RSS has one item per published edition, newest sent first, with its headlines and the time it started sending', async () => {
    const items = parseRssFeed(await text('/editions/feed.xml')).items ?? [];
    const paths = [
      '2026-11-28/06-00',
      `${D}/22-00z`,
      `${D}/18-00`,
      `${D}/weekly-06-00`,
      `${D}/06-00`,
      '2026-11-25/06-00',
      '2026-11-22/weekly-06-00',
    ];
    expect(items.map((i) => i.link)).toEqual(paths.map((p) => `${PUBLIC_URL}/editions/${p}`));
    expect(items.map((i) => i.guid?.value)).toEqual(items.map((i) => i.link));

    const morning = items.find((i) => i.link === `${PUBLIC_URL}/editions/${D}/06-00`)!;
    expect(morning.description).toContain('<a href="https://news.example.com/morning-story">Morning story</a>');
    expect(morning.description).toContain('Morning blog');
    expect(morning.description).not.toContain('Evening story');
    expect(new Date(morning.pubDate!).toISOString()).toBe(`${D}T06:00:07.000Z`);
    // A row from before started_at existed: its send time.
    const old = items.find((i) => i.link === `${PUBLIC_URL}/editions/2026-11-25/06-00`)!;
    expect(new Date(old.pubDate!).toISOString()).toBe('2026-11-25T06:00:00.000Z');
    // The description is HTML: a headline's markup arrives escaped once, as text.
    expect(old.description).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(old.description).not.toContain('<script>');
  });
});
