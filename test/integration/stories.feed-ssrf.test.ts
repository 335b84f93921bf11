import { createServer, type Server } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importStories } from '../../src/stories/index.js';
import { fetchFeed } from '../../src/stories/feed-fetch.js';
import { runDigest } from '../helpers/cli.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

/**
 * The SSRF guard on feed fetches, against real servers on loopback (the only addresses a test may
 * reach). "feeds" stands for a public feed server (the tests allow its host and port, as an operator
 * allows an internal feed); "internal" for what must never be fetched: it counts every request it gets,
 * and a refused fetch must not reach it at all.
 */
const rss = (slug: string) =>
  `<rss version="2.0"><channel><title>x</title><item><title>From ${slug}</title><link>https://s.example/${slug}</link></item></channel></rss>`;

let feeds: Server;
let internal: Server;
let feedsPort: number;
let internalPort: number;
const internalHits: string[] = [];

beforeAll(async () => {
  internal = createServer((req, res) => {
    internalHits.push(req.url!);
    res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss('internal'));
  });
  feeds = createServer((req, res) => {
    if (req.url === '/feed') return res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss('public'));
    if (req.url === '/to-internal') return res.writeHead(302, { location: `http://127.0.0.1:${internalPort}/internal` }).end();
    if (req.url === '/to-localhost') return res.writeHead(301, { location: `http://localhost:${internalPort}/internal` }).end();
    if (req.url === '/to-self') return res.writeHead(307, { location: '/feed' }).end();
    if (req.url === '/loop') return res.writeHead(302, { location: '/loop' }).end();
    if (req.url === '/to-file') return res.writeHead(302, { location: 'file:///etc/passwd' }).end();
    if (req.url === '/to-garbage') return res.writeHead(302, { location: 'http://[oops' }).end();
    res.writeHead(404).end();
  });
  for (const s of [internal, feeds]) await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  internalPort = (internal.address() as AddressInfo).port;
  feedsPort = (feeds.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const s of [internal, feeds]) await new Promise<void>((r) => s.close(() => r()));
});

/** FEED_ALLOW_PRIVATE as the operator writes it, parsed by the real configuration. */
const allowing = (value: string) => testConfig({ FEED_ALLOW_PRIVATE: value }).feeds.allowPrivate;

describe('the SSRF guard on feed fetches', () => {
  it('refuses loopback in every spelling, and a name that resolves to it, before connecting', async () => {
    const refused = {
      [`http://127.0.0.1:${internalPort}/internal`]: `127.0.0.1:${internalPort} is a loopback address`,
      [`http://0x7f000001:${internalPort}/internal`]: `127.0.0.1:${internalPort} is a loopback address`,
      [`http://2130706433:${internalPort}/internal`]: `127.0.0.1:${internalPort} is a loopback address`,
      [`http://0177.0.0.1:${internalPort}/internal`]: `127.0.0.1:${internalPort} is a loopback address`,
      [`http://[::ffff:127.0.0.1]:${internalPort}/internal`]: `[::ffff:7f00:1]:${internalPort} is a loopback address`,
      [`http://[::1]:${internalPort}/internal`]: `[::1]:${internalPort} is a loopback or unspecified address`,
      [`http://localhost:${internalPort}/internal`]: `localhost:${internalPort} resolves to`,
      'http://169.254.169.254/latest/meta-data/': '169.254.169.254 is a link-local address (cloud metadata lives at 169.254.169.254)',
      'http://10.1.2.3/feed': '10.1.2.3 is a private address',
      'http://100.64.0.1/feed': '100.64.0.1 is a shared (CGNAT) address',
      'http://[fd00:ec2::254]/feed': '[fd00:ec2::254] is a unique-local address',
    };
    for (const [url, why] of Object.entries(refused)) {
      await expect(fetchFeed(url), url).rejects.toThrow(`${url}: refused: ${why}`);
    }
    await expect(fetchFeed(`http://localhost:${internalPort}/internal`)).rejects.toThrow(
      /resolves to (127\.0\.0\.1, a loopback address|::1, a loopback or unspecified address) \(feeds come only from public addresses; FEED_ALLOW_PRIVATE/,
    );
    expect(internalHits).toEqual([]);
  });

  it('checks the addresses a name resolves to at connect time: a public-looking name on 127.0.0.1 is refused', async () => {
    // A resolver under the attacker's control: the name looks public, one of its addresses is loopback.
    const lookups: string[] = [];
    const rebinding: LookupFunction = (hostname, _options, callback) => {
      lookups.push(hostname);
      callback(null, [
        { address: '93.184.215.14', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ]);
    };
    await expect(fetchFeed(`http://feeds.example:${internalPort}/internal`, { lookup: rebinding })).rejects.toThrow(
      `feeds.example:${internalPort} resolves to 127.0.0.1, a loopback address`,
    );
    const loopbackOnly: LookupFunction = (_h, _o, callback) => callback(null, [{ address: '127.0.0.1', family: 4 }]);
    await expect(fetchFeed(`http://news.example:${internalPort}/internal`, { lookup: loopbackOnly })).rejects.toThrow(
      'resolves to 127.0.0.1',
    );
    expect(lookups).toEqual(['feeds.example']);
    expect(internalHits).toEqual([]);
    // Named in FEED_ALLOW_PRIVATE, the same name connects.
    const ok = await fetchFeed(`http://news.example:${internalPort}/internal`, {
      lookup: loopbackOnly,
      allowPrivate: allowing(`news.example:${internalPort}`),
    });
    expect(ok.body.toString()).toContain('From internal');
    internalHits.length = 0;
  });

  it('checks every redirect: an allowed feed host that redirects to loopback is refused', async () => {
    const allowFeeds = { allowPrivate: allowing(`127.0.0.1:${feedsPort}`) };
    expect((await fetchFeed(`http://127.0.0.1:${feedsPort}/feed`, allowFeeds)).body.toString()).toContain('From public');
    expect((await fetchFeed(`http://127.0.0.1:${feedsPort}/to-self`, allowFeeds)).body.toString()).toContain('From public');
    await expect(fetchFeed(`http://127.0.0.1:${feedsPort}/to-internal`, allowFeeds)).rejects.toThrow(
      `http://127.0.0.1:${feedsPort}/to-internal: refused: redirected to http://127.0.0.1:${internalPort}/internal: 127.0.0.1:${internalPort} is a loopback address`,
    );
    await expect(fetchFeed(`http://127.0.0.1:${feedsPort}/to-localhost`, allowFeeds)).rejects.toThrow(
      `refused: redirected to http://localhost:${internalPort}/internal: localhost:${internalPort} resolves to`,
    );
    await expect(fetchFeed(`http://127.0.0.1:${feedsPort}/loop`, allowFeeds)).rejects.toThrow('redirected more than 5 times');
    await expect(fetchFeed(`http://127.0.0.1:${feedsPort}/to-file`, allowFeeds)).rejects.toThrow(
      'redirected to a file: URL, which is refused',
    );
    await expect(fetchFeed(`http://127.0.0.1:${feedsPort}/to-garbage`, allowFeeds)).rejects.toThrow('redirected to an invalid URL');
    expect(internalHits).toEqual([]);
    // FEED_ALLOW_PRIVATE=true allows every host, redirects included.
    const all = await fetchFeed(`http://127.0.0.1:${feedsPort}/to-internal`, { allowPrivate: allowing('true') });
    expect(all.body.toString()).toContain('From internal');
    expect(internalHits).toEqual(['/internal']);
    internalHits.length = 0;
  });

  it('reads FEED_ALLOW_PRIVATE as true, false, or host and host:port entries, and names a bad one', () => {
    expect(allowing('')).toEqual([]);
    expect(allowing('false')).toEqual([]);
    expect(allowing('TRUE')).toBe('any');
    expect(allowing('intranet.example, 0x7f000001:8081,[::1]:9000')).toEqual([
      { hostname: 'intranet.example', port: undefined },
      { hostname: '127.0.0.1', port: '8081' },
      { hostname: '[::1]', port: '9000' },
    ]);
    expect(() => testConfig({ FEED_ALLOW_PRIVATE: 'http://intranet.example/feed,ok.example' })).toThrow(
      'FEED_ALLOW_PRIVATE "http://intranet.example/feed" must be true, false or comma-separated host or host:port entries',
    );
  });
});

describe('digest stories import URL and importStories', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('postgres');
  });
  afterAll(async () => t?.close());

  it('refuses an internal URL with one line and stores nothing; FEED_ALLOW_PRIVATE lets that host in', async () => {
    const env = { DATABASE_URL: t.url!, SECRET: 'feed-ssrf-secret-0123456789abc' };
    const url = `http://127.0.0.1:${feedsPort}/to-internal`;
    const refused = await runDigest(['stories', 'import', url], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toEqual([
      `digest: ${url}: refused: 127.0.0.1:${feedsPort} is a loopback address (feeds come only from public addresses; FEED_ALLOW_PRIVATE names the hosts allowed to be internal)`,
    ]);
    // The feed host allowed, its redirect to another internal port still is not.
    const redirected = await runDigest(['stories', 'import', url], { ...env, FEED_ALLOW_PRIVATE: `127.0.0.1:${feedsPort}` });
    expect(redirected.code).toBe(1);
    expect(redirected.stderr).toContain(`refused: redirected to http://127.0.0.1:${internalPort}/internal`);
    const allowed = await runDigest(['stories', 'import', `http://127.0.0.1:${feedsPort}/feed`], {
      ...env,
      FEED_ALLOW_PRIVATE: `127.0.0.1:${feedsPort}`,
    });
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toContain('1 new');
    expect(internalHits).toEqual([]);

    await expect(importStories(t.db, `http://localhost:${internalPort}/internal`)).rejects.toThrow('refused');
    const urls = (await t.db.selectFrom('stories').select('url').execute()).map((r) => r.url);
    expect(urls).toEqual(['https://s.example/public']);
  });
});
