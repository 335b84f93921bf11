import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUTH_FAILURE_LIMIT } from '../../src/web/admin/auth-failures.js';
import { addReaders, bounceState, fixture, signMailgun, suppressionCount } from '../helpers/bounce-webhooks.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';
import { startTestServer, type TestServer } from '../helpers/http.js';
import { capturingLogger } from '../helpers/log.js';

/**
 * Mailgun's webhooks to POST /api/bounces/mailgun: its documented events, signed as Mailgun signs
 * them (HMAC-SHA256 of timestamp + token) with a key of the test's.
 */
const KEY = 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0';
const READERS = ['alice@example.com', 'carol@example.com', 'dave@example.com'];
type Line = { event?: string; provider?: string; why?: string; client?: string; failures?: number };

describe.each(ENGINES)('Mailgun bounces (%s)', (engine) => {
  const captured = capturingLogger();
  const lines = captured.lines as Line[];
  let t: TestDatabase | undefined;
  let server: TestServer | undefined;

  beforeEach(async () => {
    t = await createTestDatabase(engine);
    await addReaders(t.db, READERS);
    // TRUST_PROXY: each test names its client by X-Forwarded-For, as a proxy in front would.
    server = await startTestServer(t, testConfig({ MAILGUN_WEBHOOK_SIGNING_KEY: KEY, TRUST_PROXY: 'true' }), { log: captured.log });
    captured.lines.length = 0;
  });
  afterEach(async () => {
    await server?.close();
    await t?.close();
    server = t = undefined;
  });

  const event = (name: string) => fixture<{ 'event-data': unknown }>(name);
  const post = (body: unknown, ip = '198.51.100.1') =>
    fetch(`${server!.url}/api/bounces/mailgun`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
      body: JSON.stringify(body),
    });

  it('a permanent failure suppresses the reader; the same event signed again changes nothing more', async () => {
    for (let i = 0; i < 2; i++) {
      const response = await post(signMailgun(event('mailgun-failed-permanent.json'), KEY));
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ recorded: 1, ignored: 0 });
    }
    expect(await bounceState(t!.db, 'alice@example.com')).toEqual({
      status: 'bounced',
      suppressed: 'bounced',
      events: [expect.stringContaining('605 Not delivering to previously bounced address')],
    });
    expect(await suppressionCount(t!.db)).toBe(1);
  });

  it('a temporary failure is only logged, a complaint suppresses as complained, a delivery is answered 200 and ignored', async () => {
    expect(await (await post(signMailgun(event('mailgun-failed-temporary.json'), KEY))).json()).toEqual({ recorded: 0, ignored: 1 });
    expect(await bounceState(t!.db, 'carol@example.com')).toEqual({ status: 'active', suppressed: undefined, events: [] });
    expect(await (await post(signMailgun(event('mailgun-complained.json'), KEY))).json()).toEqual({ recorded: 1, ignored: 0 });
    expect(await bounceState(t!.db, 'dave@example.com')).toMatchObject({ status: 'bounced', suppressed: 'complained' });
    const delivered = await post(signMailgun(event('mailgun-delivered.json'), KEY));
    expect(delivered.status).toBe(200);
    expect(await delivered.json()).toEqual({ recorded: 0, ignored: 1 });
    expect((await bounceState(t!.db, 'alice@example.com')).status).toBe('active');
  });

  it('refuses a wrong key, a stale timestamp, an altered signature block and a replayed token with 401, and suppresses nothing', async () => {
    const good = signMailgun(event('mailgun-failed-permanent.json'), KEY);
    const now = Math.floor(Date.now() / 1000);
    const forged: [string, unknown][] = [
      ['signature', signMailgun(event('mailgun-failed-permanent.json'), 'key-not-the-right-one-0000000000')],
      ['stale', signMailgun(event('mailgun-failed-permanent.json'), KEY, { timestamp: now - 20 * 60 })],
      ['stale', signMailgun(event('mailgun-failed-permanent.json'), KEY, { timestamp: now + 20 * 60 })],
      ['signature', { ...good, signature: { ...good.signature, timestamp: String(now - 1) } }],
      ['signature', { ...good, signature: { ...good.signature, token: `${good.signature.token.slice(0, -1)}x` } }],
      ['signature', { 'event-data': good['event-data'] }],
    ];
    for (const [why, body] of forged) {
      captured.lines.length = 0;
      const response = await post(body);
      expect(response.status, why).toBe(401);
      expect(await response.json()).toEqual({ error: 'webhook_refused', reason: why });
      expect(lines.filter((l) => (l.event ?? '').startsWith('bounce.'))).toEqual([
        expect.objectContaining({ event: 'bounce.webhook_refused', provider: 'mailgun', why }),
      ]);
      const text = JSON.stringify(captured.lines);
      expect(text).not.toContain(KEY);
      expect(text).not.toContain('alice@example.com');
    }
    expect(await suppressionCount(t!.db)).toBe(0);

    // Mailgun signs the timestamp and token, not the event: a captured request, its event changed,
    // is refused because its token has been used.
    expect((await post(good)).status).toBe(200);
    const replayed = { ...good, 'event-data': { ...(good['event-data'] as object), recipient: 'carol@example.com' } };
    const replay = await post(replayed);
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual({ error: 'webhook_refused', reason: 'replay' });
    expect((await bounceState(t!.db, 'carol@example.com')).status).toBe('active');
  });

  it('answers 429 to a client after too many refused requests, even signed ones, and not to another client', async () => {
    for (let i = 0; i < AUTH_FAILURE_LIMIT.max; i++) {
      expect((await post(signMailgun(event('mailgun-failed-permanent.json'), 'key-wrong-wrong-wrong-wrong'), '203.0.113.9')).status).toBe(
        401,
      );
    }
    const limited = await post(signMailgun(event('mailgun-failed-permanent.json'), KEY), '203.0.113.9');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await bounceState(t!.db, 'alice@example.com')).status).toBe('active');
    expect((await post(signMailgun(event('mailgun-failed-permanent.json'), KEY), '203.0.113.10')).status).toBe(200);
    expect((await bounceState(t!.db, 'alice@example.com')).status).toBe('bounced');
    // The log names the client by a keyed hash, never by its address.
    expect(JSON.stringify(captured.lines)).not.toContain('203.0.113.9');
  });
});
