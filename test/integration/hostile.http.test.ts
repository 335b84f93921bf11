import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEmailAddress, preferencesUrl, signToken, unsubscribeUrl } from '../../src/subscribers/index.js';
import { useCleanup } from '../helpers/cleanup.js';
import { ADMIN_TOKEN, testConfig } from '../helpers/config.js';
import { createTestDatabase, SERVICE_ENGINE, type TestDatabase } from '../helpers/database.js';
import { startTestServer, type TestServer } from '../helpers/http.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

/**
 * Hostile input through the real server listening on loopback: every request gets a 4xx naming the
 * problem (or the normal answer), never a 5xx; nothing refused is written, nothing is executed.
 */
describe(`hostile HTTP input on ${SERVICE_ENGINE}`, () => {
  let t: TestDatabase | undefined;
  let server: TestServer | undefined;
  let sink: SmtpSink | undefined;
  const track = useCleanup();

  const env = { PUBLIC_URL: 'http://digest.test', SIGNUP_LIMIT_PER_IP: '10000', SIGNUP_LIMIT_PER_ADDRESS: '1000' };
  async function start(overrides: Record<string, string> = {}) {
    t = track(await createTestDatabase(SERVICE_ENGINE));
    sink = track(await startSmtpSink());
    const config = testConfig({ ...env, ...overrides });
    server = track(await startTestServer(t, config, { smtpUrl: sink.url }));
    return { db: t.db, url: server.url, config };
  }
  const local = (link: string) => link.replace('http://digest.test', server!.url);
  const subscribers = () => t!.db.selectFrom('subscribers').selectAll().orderBy('id').execute();
  const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server!.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  describe('POST /subscribe', () => {
    it('answers 400 naming the problem for injected, over-long and look-alike addresses, and stores none', async () => {
      const { url } = await start();
      const cases: [string, RegExp][] = [
        ['x@example.com\r\nBcc: victim@example.com', /characters that are not allowed/],
        ['x@example.com\nSubject: hi', /characters that are not allowed/],
        ['x@example.com\u0000', /characters that are not allowed/],
        [`${'a'.repeat(330)}@example.com`, /too long/],
        [`${'a'.repeat(65)}@example.com`, /too long/],
        ['раураl@example.com', /does not look like an email address/],
        ['user＠example.com', /does not look like an email address/],
        ['\u202euser@example.com', /does not look like an email address/],
        ['Victim <victim@example.com>', /does not look like an email address/],
        ['a@example.com, b@example.com', /does not look like an email address/],
        ['"john doe"@example.com', /quotation marks/],
        ['"reader"@example.com', /quotation marks/],
      ];
      for (const [email, message] of cases) {
        const json = await postJson('/subscribe', { email });
        expect(json.status, JSON.stringify(email)).toBe(400);
        expect(await json.json()).toMatchObject({ error: 'invalid_email', message: expect.stringMatching(message) });
        const form = await fetch(`${url}/subscribe`, { method: 'POST', body: new URLSearchParams({ email }) });
        expect(form.status).toBe(400);
        const page = await form.text();
        expect(page).toContain('role="alert"');
        expect(page).toMatch(message);
        expect(page).not.toContain('<script');
      }
      expect(await subscribers()).toEqual([]);
    });

    it('never answers 5xx to random hostile bodies, and stores only addresses that parse', async () => {
      await start();
      const value = fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.emailAddress(), fc.jsonValue({ maxDepth: 2 }));
      await fc.assert(
        fc.asyncProperty(fc.record({ email: value, name: value, sections: value }, { requiredKeys: [] }), async (body) => {
          const r = await postJson('/subscribe', body);
          expect([200, 400]).toContain(r.status);
          await r.arrayBuffer();
        }),
        { numRuns: 60 },
      );
      for (const s of await subscribers()) expect(parseEmailAddress(s.email)).toEqual({ ok: true, email: s.email });
      // Malformed bodies and oversize ones are 4xx too.
      expect((await postJson('/subscribe', '{"email": ')).status).toBe(400);
      expect((await postJson('/subscribe', '{"email":"a@example.com","__proto__":{"admin":true}}')).status).toBe(400);
      expect(
        (
          await fetch(`${server!.url}/subscribe`, {
            method: 'POST',
            body: new URLSearchParams({ email: 'big@example.com', name: 'x'.repeat(2 * 1024 * 1024) }),
          })
        ).status,
      ).toBe(413);
    });

    it('stores a hostile name cleaned and mails it escaped to exactly one recipient', async () => {
      const { db } = await start();
      expect(
        (await postJson('/subscribe', { email: 'named@example.com', name: '\u202e<script>alert(1)</script> 👩🏽‍💻\r\nBcc: x@example.com' }))
          .status,
      ).toBe(200);
      const [named] = await sink!.waitFor(1);
      const rows = await db.selectFrom('subscribers').select(['email', 'name']).orderBy('id').execute();
      expect(rows).toEqual([{ email: 'named@example.com', name: '<script>alert(1)</script> 👩🏽‍💻 Bcc: x@example.com' }]);
      expect(named!.to).toEqual(['named@example.com']);
      expect(named!.parsed.html).toContain('Hello &lt;script&gt;alert(1)&lt;/script&gt; 👩🏽‍💻 Bcc: x@example.com,');
      expect(named!.parsed.html).not.toContain('<script');
      expect(named!.headerLines.filter((h) => h.key === 'bcc')).toEqual([]);
    });
  });

  describe('POST /api/stories', () => {
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const stories = () => t!.db.selectFrom('stories').select(['url', 'title', 'summary']).orderBy('url').execute();

    it('answers 422 naming the field for script URLs, 1 MB summaries and invalid dates, storing none of them', async () => {
      await start();
      const bad = [
        { url: 'javascript:alert(1)', title: 'Script link' },
        { url: 'https://news.example/big', title: 'Big', summary: 's'.repeat(1024 * 1024) },
        { url: 'https://news.example/date', title: 'Date', published_at: '2026-02-30T10:00:00Z' },
        { url: 'https://news.example/img', title: 'Image', image_url: 'data:image/svg+xml,<svg onload=alert(1)>' },
      ];
      const r = await postJson('/api/stories', bad, auth);
      expect(r.status).toBe(422);
      const body = (await r.json()) as { rejected: number; errors: { index: number; field: string; message: string }[] };
      expect(body.rejected).toBe(4);
      expect(body.errors.map((e) => [e.index, e.field])).toEqual([
        [0, 'url'],
        [1, 'summary'],
        [2, 'published_at'],
        [3, 'image_url'],
      ]);
      expect(body.errors[1]!.message).toContain(`is ${1024 * 1024} characters; the limit is`);
      expect(await stories()).toEqual([]);

      const html = await postJson(
        '/api/stories',
        { url: 'https://news.example/html', title: '<script>alert(1)</script>', summary: '<img src=x onerror=alert(1)>' },
        auth,
      );
      expect(html.status).toBe(200);
      expect(await stories()).toEqual([
        { url: 'https://news.example/html', title: '<script>alert(1)</script>', summary: '<img src=x onerror=alert(1)>' },
      ]);
    });

    it('answers 4xx to bodies too big, too many, not JSON or poisoned, and never 5xx to random JSON', async () => {
      await start();
      expect(
        (
          await postJson(
            '/api/stories',
            JSON.stringify({ url: 'https://news.example/x', title: 'x', summary: 'y'.repeat(17 * 1024 * 1024) }),
            auth,
          )
        ).status,
      ).toBe(413);
      expect(
        (
          await postJson(
            '/api/stories',
            Array.from({ length: 5001 }, (_, i) => ({ url: `https://news.example/${i}`, title: 't' })),
            auth,
          )
        ).status,
      ).toBe(413);
      expect((await postJson('/api/stories', '[{"url":', auth)).status).toBe(400);
      expect((await postJson('/api/stories', '{"url":"https://news.example/p","title":"p","__proto__":{"x":1}}', auth)).status).toBe(400);
      expect((await postJson('/api/stories', { url: 'https://news.example/noauth', title: 'x' })).status).toBe(401);
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.jsonValue({ maxDepth: 3 }),
            fc.array(
              fc.dictionary(fc.constantFrom('url', 'title', 'summary', 'published_at', 'votes', 'kind'), fc.jsonValue({ maxDepth: 1 })),
              { maxLength: 5 },
            ),
          ),
          async (value) => {
            const r = await postJson('/api/stories', value, auth);
            expect(r.status).toBeLessThan(500);
            await r.arrayBuffer();
          },
        ),
        { numRuns: 60 },
      );
      for (const s of await stories()) expect(s.url).toMatch(/^https?:\/\//);
    });
  });

  describe('tokens on /u/:token and /p/:token', () => {
    async function withReaders() {
      const ctx = await start();
      const [reader, other] = await ctx.db
        .insertInto('subscribers')
        .values([
          { email: 'reader@example.com', name: 'Ada', status: 'active', confirmed_at: new Date() },
          { email: 'other@example.com', name: 'Bob', status: 'active', confirmed_at: new Date() },
        ])
        .returningAll()
        .execute();
      return { ...ctx, reader: reader!, other: other! };
    }
    const snapshot = async () => (await subscribers()).map((s) => [s.email, s.status, s.name, s.frequency, s.token_version]);
    const events = () => t!.db.selectFrom('subscriber_events').selectAll().execute();

    it('refuses truncated, altered, swapped and wrong-purpose preferences tokens on GET and POST, changing nothing', async () => {
      const { config, reader, other } = await withReaders();
      const before = await snapshot();
      const good = preferencesUrl(config, reader).split('/p/')[1]!;
      const [purpose, kid, subject, sig] = good.split('.') as [string, string, string, string];
      const otherSig = preferencesUrl(config, other).split('.').at(-1)!;
      const tokens = [
        good.slice(0, -1),
        good.slice(0, good.lastIndexOf('.')),
        `${purpose}.${kid}.${subject}.${sig.slice(0, 10)}`,
        `${purpose}.${kid}.${other.id.toString(36)}-${other.token_version.toString(36)}.${sig}`,
        `${purpose}.${kid}.${subject}.${otherSig}`,
        `${purpose}.${kid}.${subject}-1.${sig}`,
        signToken(config.keys, 'unsubscribe', { subscriberId: reader.id, version: reader.token_version }),
        signToken(config.keys, 'confirm', { subscriberId: reader.id, version: reader.token_version }),
        `${good}${'A'.repeat(300)}`,
        '..%2F..%2Fadmin',
        'préférences.x.y.z',
      ];
      for (const token of tokens) {
        const path = `${server!.url}/p/${encodeURIComponent(token)}`;
        // 400 "not valid" page; a token past the router's parameter limit is a 414 before any lookup.
        const expected = token.length > 100 ? 414 : 400;
        const get = await fetch(path);
        expect(get.status, token).toBe(expected);
        if (expected === 400) expect(await get.text()).toContain('This link is not valid');
        const post = await fetch(path, {
          method: 'POST',
          body: new URLSearchParams({ name: 'Hacked', sections: 'blogs', frequency: 'weekly' }),
        });
        expect(post.status, token).toBe(expected);
      }
      expect(await snapshot()).toEqual(before);
      expect(await events()).toEqual([]);
    });

    it('refuses links signed with a SECRET that has been rotated out (not even SECRET_PREVIOUS)', async () => {
      const { db, reader } = await withReaders();
      const retired = testConfig({ ...env, SECRET: 'a-secret-that-was-retired-0123' });
      const oldUnsub = unsubscribeUrl(retired, reader);
      const oldPrefs = preferencesUrl(retired, reader);
      expect(
        (await fetch(local(oldUnsub), { method: 'POST', body: new URLSearchParams({ 'List-Unsubscribe': 'One-Click' }) })).status,
      ).toBe(400);
      expect(
        (await fetch(local(oldPrefs), { method: 'POST', body: new URLSearchParams({ name: 'Hacked', sections: 'blogs' }) })).status,
      ).toBe(400);
      expect((await fetch(local(oldPrefs))).status).toBe(400);
      expect(await db.selectFrom('subscribers').select(['status', 'name']).where('id', '=', reader.id).executeTakeFirstOrThrow()).toEqual({
        status: 'active',
        name: 'Ada',
      });
    });

    it('refuses a preferences link replayed after unsubscribe and sign-up again (410), and the new one works', async () => {
      const { db, config, reader } = await withReaders();
      const oldPrefs = local(preferencesUrl(config, reader));
      expect((await fetch(local(unsubscribeUrl(config, reader)), { method: 'POST' })).status).toBe(200);
      expect((await postJson('/subscribe', { email: 'reader@example.com' })).status).toBe(200);
      const again = await db.selectFrom('subscribers').selectAll().where('id', '=', reader.id).executeTakeFirstOrThrow();
      expect(again).toMatchObject({ status: 'pending', token_version: reader.token_version + 1 });

      expect((await fetch(oldPrefs)).status).toBe(410);
      const replay = await fetch(oldPrefs, {
        method: 'POST',
        body: new URLSearchParams({ name: 'Replayed', sections: 'blogs', frequency: 'weekly' }),
      });
      expect(replay.status).toBe(410);
      expect(
        await db.selectFrom('subscribers').select(['status', 'name', 'frequency']).where('id', '=', reader.id).executeTakeFirstOrThrow(),
      ).toEqual({ status: 'pending', name: 'Ada', frequency: 'daily' });
      expect((await fetch(local(preferencesUrl(config, again)))).status).toBe(200);
    });

    it('refuses every random single-character edit of a valid unsubscribe token, changing nothing', async () => {
      const { config, reader } = await withReaders();
      const good = unsubscribeUrl(config, reader).split('/u/')[1]!;
      const before = await snapshot();
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
      await fc.assert(
        fc.asyncProperty(
          fc.nat({ max: good.length - 1 }),
          fc.constantFrom(...alphabet),
          fc.constantFrom('replace', 'delete', 'insert'),
          async (at, ch, op) => {
            const token =
              op === 'replace'
                ? good.slice(0, at) + ch + good.slice(at + 1)
                : op === 'delete'
                  ? good.slice(0, at) + good.slice(at + 1)
                  : good.slice(0, at) + ch + good.slice(at);
            fc.pre(token !== good);
            const r = await fetch(`${server!.url}/u/${encodeURIComponent(token)}`, {
              method: 'POST',
              body: new URLSearchParams({ 'List-Unsubscribe': 'One-Click' }),
            });
            expect(r.status, token).toBeGreaterThanOrEqual(400);
            expect(r.status, token).toBeLessThan(500);
            await r.arrayBuffer();
          },
        ),
        { numRuns: 80 },
      );
      expect(await snapshot()).toEqual(before);
      expect(await events()).toEqual([]);
    });
  });
});
