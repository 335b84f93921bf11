import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addReaders, bounceState, fixture, p256Keys, sendgridKeyText, signSendgrid, suppressionCount } from '../helpers/bounce-webhooks.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';
import { startTestServer, type TestServer } from '../helpers/http.js';
import { capturingLogger } from '../helpers/log.js';

/**
 * Postmark's bounce and spam complaint webhooks (basic auth in the webhook URL) to
 * POST /api/bounces/postmark, and SendGrid's signed Event Webhook (ECDSA P-256 over timestamp + raw
 * body) to POST /api/bounces/sendgrid: their documented payloads, through a listening server.
 */
const USER = 'postmark';
const PASSWORD = 'webhook-password-0123456789';
type Line = { event?: string; provider?: string; why?: string };

describe.each(ENGINES)('Postmark and SendGrid bounces (%s)', (engine) => {
  const keys = p256Keys();
  const captured = capturingLogger();
  const lines = captured.lines as Line[];
  let t: TestDatabase | undefined;
  let server: TestServer | undefined;

  beforeEach(async () => {
    t = await createTestDatabase(engine);
    await addReaders(t.db, [
      'john@example.com',
      'kate@example.com',
      'lisa@example.com',
      'hard@example.com',
      'blocked@example.com',
      'dropped@example.com',
      'unsub@example.com',
      'spam@example.com',
      'example@test.com',
    ]);
    const config = testConfig({
      POSTMARK_WEBHOOK_USER: USER,
      POSTMARK_WEBHOOK_PASSWORD: PASSWORD,
      SENDGRID_WEBHOOK_PUBLIC_KEY: sendgridKeyText(keys.publicKey),
    });
    server = await startTestServer(t, config, { log: captured.log });
    captured.lines.length = 0;
  });
  afterEach(async () => {
    await server?.close();
    await t?.close();
    server = t = undefined;
  });

  const refusals = () => lines.filter((l) => (l.event ?? '').startsWith('bounce.'));

  describe('Postmark', () => {
    const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const post = (record: unknown, authorization: string | null = basic(USER, PASSWORD)) =>
      fetch(`${server!.url}/api/bounces/postmark`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify(record),
      });

    it('a HardBounce suppresses the reader, twice changes nothing more; a SoftBounce is logged; a SpamComplaint suppresses as complained', async () => {
      for (let i = 0; i < 2; i++) expect(await (await post(fixture('postmark-bounce.json'))).json()).toEqual({ recorded: 1, ignored: 0 });
      expect(await bounceState(t!.db, 'john@example.com')).toEqual({
        status: 'bounced',
        suppressed: 'bounced',
        events: [expect.stringContaining('HardBounce')],
      });
      expect(await (await post(fixture('postmark-soft-bounce.json'))).json()).toEqual({ recorded: 0, ignored: 1 });
      expect(await bounceState(t!.db, 'kate@example.com')).toEqual({ status: 'active', suppressed: undefined, events: [] });
      expect(await (await post(fixture('postmark-spam-complaint.json'))).json()).toEqual({ recorded: 1, ignored: 0 });
      expect(await bounceState(t!.db, 'lisa@example.com')).toMatchObject({ status: 'bounced', suppressed: 'complained' });
      const delivery = await post(fixture('postmark-delivery.json'));
      expect(delivery.status).toBe(200);
      expect(await delivery.json()).toEqual({ recorded: 0, ignored: 1 });
      expect(await suppressionCount(t!.db)).toBe(2);
    });

    it('refuses missing or wrong credentials with 401 and one log line each, and suppresses nothing', async () => {
      for (const authorization of [null, basic(USER, 'webhook-password-012345678'), basic('someone', PASSWORD), `Bearer ${PASSWORD}`]) {
        captured.lines.length = 0;
        const response = await post(fixture('postmark-bounce.json'), authorization);
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
        expect(refusals()).toEqual([
          expect.objectContaining({ event: 'bounce.webhook_refused', provider: 'postmark', why: 'credentials' }),
        ]);
        expect(JSON.stringify(captured.lines)).not.toContain(PASSWORD);
      }
      expect(await suppressionCount(t!.db)).toBe(0);
    });
  });

  describe('SendGrid', () => {
    const body = JSON.stringify(fixture('sendgrid-events.json'));
    const post = (raw: string, headers: Record<string, string>) =>
      fetch(`${server!.url}/api/bounces/sendgrid`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: raw,
      });

    it('records the batch: bounce hard, blocked soft, dropped by reason, spamreport as complaint; the same batch again changes nothing more', async () => {
      for (let i = 0; i < 2; i++) {
        const response = await post(body, signSendgrid(body, keys.privateKey));
        expect(response.status).toBe(200);
        // 13 events: 3 recorded (hard, dropped, spamreport), blocked soft and 9 others ignored.
        expect(await response.json()).toEqual({ recorded: 3, ignored: 10 });
      }
      expect(await bounceState(t!.db, 'hard@example.com')).toEqual({
        status: 'bounced',
        suppressed: 'bounced',
        events: [expect.stringContaining('500 unknown recipient')],
      });
      expect(await bounceState(t!.db, 'dropped@example.com')).toMatchObject({ status: 'bounced', suppressed: 'bounced' });
      expect(await bounceState(t!.db, 'spam@example.com')).toMatchObject({ status: 'bounced', suppressed: 'complained' });
      for (const email of ['blocked@example.com', 'unsub@example.com', 'example@test.com'])
        expect(await bounceState(t!.db, email)).toEqual({ status: 'active', suppressed: undefined, events: [] });
      expect(await suppressionCount(t!.db)).toBe(3);
    });

    it('refuses an altered body, another key, a stale timestamp and missing headers with 401, and suppresses nothing', async () => {
      const now = Math.floor(Date.now() / 1000);
      const forged: [string, string, Record<string, string>][] = [
        ['signature', body.replace('hard@example.com', 'john@example.com'), signSendgrid(body, keys.privateKey)],
        ['signature', JSON.stringify(JSON.parse(body), null, 2), signSendgrid(body, keys.privateKey)],
        ['signature', body, signSendgrid(body, p256Keys().privateKey)],
        ['stale', body, signSendgrid(body, keys.privateKey, now - 20 * 60)],
        ['signature', body, { 'x-twilio-email-event-webhook-timestamp': String(now) }],
        ['signature', body, {}],
      ];
      for (const [why, raw, headers] of forged) {
        captured.lines.length = 0;
        const response = await post(raw, headers);
        expect(response.status, why).toBe(401);
        expect(await response.json()).toEqual({ error: 'webhook_refused', reason: why });
        expect(refusals()).toEqual([expect.objectContaining({ event: 'bounce.webhook_refused', provider: 'sendgrid', why })]);
        expect(JSON.stringify(captured.lines)).not.toContain('@example.com');
      }
      expect(await suppressionCount(t!.db)).toBe(0);
    });

    it('verifies the bytes as sent, whatever the content type, and refuses a signed body that is not a JSON array (400)', async () => {
      const text = await post(body, { ...signSendgrid(body, keys.privateKey), 'content-type': 'text/plain' });
      expect(text.status).toBe(200);
      const notArray = '{"event":"bounce","email":"hard@example.com"}';
      expect((await post(notArray, signSendgrid(notArray, keys.privateKey))).status).toBe(400);
    });
  });
});
