import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/config/index.js';
import { feedSource, pollFeeds } from '../../src/stories/index.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/feeds/${name}`, import.meta.url));

/** A real HTTP server on loopback serving the feeds, one of them broken, one refusing. */
let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/news.rss') return res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(fixture('news.rss'));
    if (req.url === '/blogs.atom')
      return res.writeHead(200, { 'content-type': 'application/atom+xml; charset=utf-8' }).end(fixture('blogs.atom'));
    if (req.url === '/latin1.rss') {
      const xml =
        '<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>x</title><item><title>Caf\u00e9 cr\u00e8me</title><link>https://l.example/cafe</link></item></channel></rss>';
      return res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(Buffer.from(xml, 'latin1'));
    }
    if (req.url === '/broken.xml') return res.writeHead(200).end('<rss><channel><item><title>unclosed');
    res.writeHead(500).end('no');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('feed sources', () => {
  it('reads #kind=blog from a FEED_URLS entry and never sends the fragment', () => {
    expect(feedSource('https://b.example/feed.xml#kind=blog')).toEqual({ url: 'https://b.example/feed.xml', kind: 'blog' });
    expect(feedSource('https://n.example/rss')).toEqual({ url: 'https://n.example/rss', kind: 'story' });
  });
});

describe.each(ENGINES)('polling feeds on %s', (engine) => {
  let t: TestDatabase;
  afterAll(async () => t?.close());

  it('imports every good feed over HTTP, and one failing feed stops none of the others', async () => {
    t = await createTestDatabase(engine);
    const results = await pollFeeds(
      t.db,
      [`${base}/missing.rss`, `${base}/news.rss`, `${base}/broken.xml`, `${base}/blogs.atom#kind=blog`, `${base}/latin1.rss`],
      silentLogger,
      // The feeds are on loopback, which the SSRF guard refuses unless FEED_ALLOW_PRIVATE allows it.
      { fetch: { allowPrivate: 'any' } },
    );
    expect(results.map((r) => r.ok)).toEqual([false, true, false, true, true]);
    expect(results[0]).toMatchObject({ ok: false, error: expect.stringContaining('answered HTTP 500') });
    const rows = await t.db.selectFrom('stories').select(['url', 'kind', 'title']).orderBy('url').execute();
    expect(rows.filter((r) => r.kind === 'blog')).toHaveLength(2);
    expect(rows.filter((r) => r.kind === 'story')).toHaveLength(4);
    expect(rows.find((r) => r.url === 'https://l.example/cafe')?.title).toBe('Café crème');
  });
});
