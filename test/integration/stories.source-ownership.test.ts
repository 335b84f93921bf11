import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/index.js';
import { importStories, parseStoryBatch, pollFeeds, upsertStories } from '../../src/stories/index.js';
import { useCleanup } from '../helpers/cleanup.js';
import { ADMIN_TOKEN, testConfig } from '../helpers/config.js';
import { createTestDatabase, ENGINES } from '../helpers/database.js';
import { startTestServer } from '../helpers/http.js';
import { capturingLogger } from '../helpers/log.js';

/**
 * A story belongs to its source (issue 14): the API, file imports, and each feed. Another source's
 * copy of a URL changes nothing and is reported; the owner still updates its own; the operator may
 * let named sources take stories over; batch counts add up to the items given.
 */

const OWNED = 'https://n.example/owned';

/** A real RSS feed on loopback; `items` is what it serves on the next poll. */
let feedServer: Server;
let feedBase: string;
let items: { link: string; title: string; teaser: string }[] = [];
const rss = () =>
  `<?xml version="1.0"?><rss version="2.0"><channel><title>Rewriter</title>${items
    .map(
      (i) =>
        `<item><title>${i.title}</title><link>${i.link}</link><description>${i.teaser}</description><pubDate>Wed, 25 Nov 2026 10:00:00 GMT</pubDate></item>`,
    )
    .join('')}</channel></rss>`;
beforeAll(async () => {
  feedServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss()));
  await new Promise<void>((r) => feedServer.listen(0, '127.0.0.1', () => r()));
  feedBase = `http://127.0.0.1:${(feedServer.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => feedServer.close(() => r())));

/** The feed server is on loopback, which the SSRF guard refuses unless allowed. */
const LOOPBACK_OK = { fetch: { allowPrivate: 'any' as const } };

describe.each(ENGINES)('a story belongs to its source on %s', (engine) => {
  const track = useCleanup();

  async function start(env: Record<string, string> = {}) {
    const t = track(await createTestDatabase(engine));
    const capture = capturingLogger();
    const server = track(await startTestServer(t, testConfig(env), { log: capture.log }));
    const post = async (body: unknown) => {
      const res = await fetch(`${server.url}/api/stories`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const story = (url: string) =>
      t.db.selectFrom('stories').select(['title', 'summary', 'kind', 'votes', 'source']).where('url', '=', url).executeTakeFirstOrThrow();
    return { t, post, story, apiLog: capture.lines };
  }

  it('leaves an API story untouched when a feed item has its link, and reports the duplicate with both sources', async () => {
    const { t, post, story, apiLog } = await start();
    expect((await post({ url: OWNED, title: 'Posted by the newsroom', summary: 'The real teaser', kind: 'story', votes: 50 })).status).toBe(
      200,
    );
    const before = await story(OWNED);

    items = [
      { link: OWNED, title: 'Rewritten by a feed', teaser: 'A hostile teaser' },
      { link: 'https://f.example/own', title: 'The feed’s own post', teaser: 'fine' },
    ];
    const feed = `${feedBase}/rewriter.rss`;
    const { log, lines } = capturingLogger();
    const [polled] = await pollFeeds(t.db, [`${feed}#kind=blog`], log, LOOPBACK_OK);
    expect(polled, JSON.stringify(polled)).toMatchObject({
      ok: true,
      result: { inserted: 1, updated: 0, duplicates: 1, ownedElsewhere: [{ url: OWNED, source: feed, owner: 'api' }] },
    });

    expect(await story(OWNED)).toEqual(before);
    expect(before).toEqual({ title: 'Posted by the newsroom', summary: 'The real teaser', kind: 'story', votes: 50, source: 'api' });
    expect(await story('https://f.example/own')).toMatchObject({ kind: 'blog', source: feed });

    const said = lines.filter((l) => l.event === 'story.duplicate_source') as unknown as {
      url: string;
      source: string;
      owner: string;
      msg: string;
    }[];
    expect(said).toEqual([expect.objectContaining({ url: OWNED, source: feed, owner: 'api' })]);
    expect(said[0]!.msg).toContain(`${OWNED} belongs to api; the copy from ${feed} changed nothing`);
    expect(lines.find((l) => l.event === 'feed.polled')).toMatchObject({ inserted: 1, updated: 0, duplicates: 1 });

    // The API's answer says the same when it is the stranger: the feed's story stays the feed's.
    const reply = await post({ url: 'https://f.example/own', title: 'The API rewrites it', votes: 99 });
    expect(reply).toMatchObject({
      status: 200,
      body: { inserted: 0, updated: 0, duplicates: 1, ownedElsewhere: [{ url: 'https://f.example/own', source: 'api', owner: feed }] },
    });
    expect(await story('https://f.example/own')).toMatchObject({ title: 'The feed’s own post', votes: 0, source: feed });
    expect(apiLog.filter((l) => l.event === 'story.duplicate_source')).toHaveLength(1);
  });

  it('still lets each source update its own stories', async () => {
    const { t, post, story } = await start();
    await post({ url: OWNED, title: 'First', votes: 1 });
    expect((await post({ url: OWNED, title: 'Revised', votes: 60 })).body).toMatchObject({
      inserted: 0,
      updated: 1,
      duplicates: 0,
      ownedElsewhere: [],
    });
    expect(await story(OWNED)).toMatchObject({ title: 'Revised', votes: 60, source: 'api' });

    const feed = `${feedBase}/own.rss`;
    items = [{ link: 'https://f.example/mine', title: 'Draft', teaser: 'one' }];
    await pollFeeds(t.db, [feed], capturingLogger().log, LOOPBACK_OK);
    items = [{ link: 'https://f.example/mine', title: 'Final', teaser: 'two' }];
    const [again] = await pollFeeds(t.db, [feed], capturingLogger().log, LOOPBACK_OK);
    expect(again, JSON.stringify(again)).toMatchObject({ ok: true, result: { inserted: 0, updated: 1, duplicates: 0 } });
    expect(await story('https://f.example/mine')).toMatchObject({ title: 'Final', summary: 'two', source: feed });
  });

  it('treats every local file import as one source, so a moved export still updates its stories', async () => {
    const { t, post, story } = await start();
    await post({ url: OWNED, title: 'From the API', votes: 50 });
    const dir = mkdtempSync(join(tmpdir(), 'digest-sources-'));
    const doc = (title: string) =>
      JSON.stringify([
        { url: 'https://x.example/filed', title },
        { url: OWNED, title: 'From a file' },
      ]);
    writeFileSync(join(dir, 'monday.json'), doc('Monday'));
    writeFileSync(join(dir, 'tuesday.json'), doc('Tuesday'));
    expect(await importStories(t.db, join(dir, 'monday.json'))).toMatchObject({
      inserted: 1,
      updated: 0,
      duplicates: 1,
      ownedElsewhere: [{ url: OWNED, source: 'file', owner: 'api' }],
    });
    expect(await importStories(t.db, join(dir, 'tuesday.json'))).toMatchObject({ inserted: 0, updated: 1, duplicates: 1 });
    expect(await story('https://x.example/filed')).toMatchObject({ title: 'Tuesday', source: 'file' });
    expect(await story(OWNED)).toMatchObject({ title: 'From the API', source: 'api' });
  });

  it('lets the sources STORY_SOURCE_OVERRIDE names take a story over, and no others', async () => {
    const { t, post, story } = await start({ STORY_SOURCE_OVERRIDE: 'api' });
    const feed = `${feedBase}/taken.rss`;
    items = [{ link: 'https://f.example/corrected', title: 'Wrong headline', teaser: 'x' }];
    await pollFeeds(t.db, [feed], capturingLogger().log, LOOPBACK_OK);

    // The newsroom corrects the feed's story; from then on it is the API's.
    expect((await post({ url: 'https://f.example/corrected', title: 'Corrected headline', votes: 7 })).body).toMatchObject({
      updated: 1,
      duplicates: 0,
    });
    expect(await story('https://f.example/corrected')).toMatchObject({ title: 'Corrected headline', votes: 7, source: 'api' });
    const [back] = await pollFeeds(t.db, [feed], capturingLogger().log, { ...LOOPBACK_OK, sourceOverride: ['api'] });
    expect(back, JSON.stringify(back)).toMatchObject({ ok: true, result: { updated: 0, duplicates: 1 } });
    expect(await story('https://f.example/corrected')).toMatchObject({ title: 'Corrected headline' });

    // `*`: any source updates any story (the behaviour before stories had owners).
    const [any] = await pollFeeds(t.db, [feed], capturingLogger().log, { ...LOOPBACK_OK, sourceOverride: ['*'] });
    expect(any, JSON.stringify(any)).toMatchObject({ ok: true, result: { updated: 1, duplicates: 0 } });
    expect(await story('https://f.example/corrected')).toMatchObject({ title: 'Wrong headline', source: feed });
  });

  it('counts three items with one URL in one batch as one inserted and two duplicates, through the API and a feed', async () => {
    const { t, post, story } = await start();
    const three = [1, 2, 3].map((n) => ({ url: 'https://n.example/thrice', title: `Copy ${n}`, votes: n }));
    expect((await post(three)).body).toMatchObject({ inserted: 1, updated: 0, duplicates: 2, rejected: 0 });
    expect(await story('https://n.example/thrice')).toMatchObject({ title: 'Copy 3', votes: 3 });
    expect((await post(three)).body).toMatchObject({ inserted: 0, updated: 1, duplicates: 2 });

    items = [1, 2, 3].map((n) => ({ link: 'https://f.example/thrice', title: `Item ${n}`, teaser: '' }));
    const [polled] = await pollFeeds(t.db, [`${feedBase}/thrice.rss`], capturingLogger().log, LOOPBACK_OK);
    expect(polled, JSON.stringify(polled)).toMatchObject({ ok: true, result: { inserted: 1, updated: 0, duplicates: 2 } });

    // Three copies of a URL another source owns: all three are duplicates, and it is named once.
    const foreign = parseStoryBatch(
      three.map((s) => ({ ...s, url: 'https://f.example/thrice' })),
      { source: 'api' },
    );
    expect(await upsertStories(t.db, foreign.items)).toEqual({
      inserted: 0,
      updated: 0,
      duplicates: 3,
      ownedElsewhere: [{ url: 'https://f.example/thrice', source: 'api', owner: `${feedBase}/thrice.rss` }],
    });
  });
});

describe('STORY_SOURCE_OVERRIDE', () => {
  it('reads api, file, demo, * and feed URLs (without their fragment), and names a bad entry', () => {
    expect(testConfig().stories.sourceOverride).toEqual([]);
    expect(testConfig({ STORY_SOURCE_OVERRIDE: ' api, https://f.example/rss#kind=blog ,*' }).stories.sourceOverride).toEqual([
      'api',
      'https://f.example/rss',
      '*',
    ]);
    expect(() => testConfig({ STORY_SOURCE_OVERRIDE: 'api,ftp://x' })).toThrow(ConfigError);
    expect(() => testConfig({ STORY_SOURCE_OVERRIDE: 'feeds' })).toThrow(
      /STORY_SOURCE_OVERRIDE entry "feeds" is not api, file, demo, \* or a feed's http\(s\) URL/,
    );
  });
});
