import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unsubscribeUrl } from '../../src/subscribers/index.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';
import { startTestServer, type TestServer } from '../helpers/http.js';
import { capturingLogger } from '../helpers/log.js';

/**
 * Reader requests as odd clients send them (issue 14): a one-click unsubscribe POST of any content
 * type, or none, still unsubscribes; an address whose domain is percent-encoded is refused as typed,
 * never decoded into another address.
 */
describe.each(ENGINES)('odd reader requests on %s', (engine) => {
  const config = testConfig({ PUBLIC_URL: 'http://digest.test' });
  let t: TestDatabase;
  let server: TestServer;
  const capture = capturingLogger();
  beforeAll(async () => {
    t = await createTestDatabase(engine);
    server = await startTestServer(t, config, { log: capture.log });
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
  });

  const reader = (email: string) =>
    t.db.insertInto('subscribers').values({ email, status: 'active', confirmed_at: new Date() }).returningAll().executeTakeFirstOrThrow();
  const statusOf = async (id: number) =>
    (await t.db.selectFrom('subscribers').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

  const ONE_CLICK = 'List-Unsubscribe=One-Click';
  it.each([
    ['application/octet-stream', ONE_CLICK, true],
    ['application/octet-stream', '', false],
    ['text/plain; charset=utf-8', ONE_CLICK, true],
    ['application/json', '', false],
    ['application/json', '{"List-Unsub', false],
    ['multipart/form-data', 'no boundary at all', false],
    [
      'multipart/form-data; boundary=XyZ',
      `--XyZ\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--XyZ--\r\n`,
      true,
    ],
    ['image/png', '\u0089PNG\r\n', false],
    [null, ONE_CLICK, true],
    [null, null, false],
  ] as const)('unsubscribes on a one-click POST sent as %s with body %j', async (type, body, oneClick) => {
    const r = await reader(`one-click-${Math.random().toString(36).slice(2)}@example.com`);
    const link = unsubscribeUrl(config, r).replace('http://digest.test', server.url);
    const res = await fetch(link, { method: 'POST', headers: type ? { 'content-type': type } : {}, ...(body !== null ? { body } : {}) });
    expect(res.status).toBe(200);
    expect(await statusOf(r.id)).toBe('unsubscribed');
    const logged = capture.lines.filter((l) => l.event === 'subscriber.unsubscribed').at(-1) as
      | { subscriberId?: number; oneClick?: boolean }
      | undefined;
    expect(logged).toMatchObject({ subscriberId: r.id, oneClick });
  });

  it('still refuses a forged token whatever the body', async () => {
    const res = await fetch(`${server.url}/u/not-a-token`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: ONE_CLICK,
    });
    expect(res.status).toBe(400);
  });

  it.each([['a@localhost%2ecom'], ['reader@ex%41mple.com']])(
    'refuses %s at sign-up as typed, never as the address it decodes to',
    async (email) => {
      const form = await fetch(`${server.url}/subscribe`, { method: 'POST', body: new URLSearchParams({ email }) });
      expect(form.status).toBe(400);
      const page = await form.text();
      expect(page).toContain('cannot contain “%”');
      expect(page).toContain(`value="${email}"`);

      const json = await fetch(`${server.url}/subscribe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email }),
      });
      expect(json.status).toBe(400);
      expect(await json.json()).toMatchObject({
        error: 'invalid_email',
        message: expect.stringContaining('example.com, not example%2ecom'),
      });
      expect(
        await t.db.selectFrom('subscribers').select('email').where('email', 'in', ['a@localhost.com', 'reader@example.com']).execute(),
      ).toEqual([]);
    },
  );
});
