import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/config/index.js';
import { parseDeliveryStatus, parseFeedbackReport, startBounceInbox, type BounceInbox } from '../../src/delivery/index.js';
import { emailHash } from '../../src/subscribers/index.js';
import { testConfig, ADMIN_TOKEN } from '../helpers/config.js';
import { createTestDatabase, SERVICE_ENGINE, type TestDatabase } from '../helpers/database.js';
import { startTestServer, type TestServer } from '../helpers/http.js';

const DSN = [
  'Reporting-MTA: dns; mx.example.net',
  'Arrival-Date: Fri, 20 Nov 2026 06:01:00 +0000',
  '',
  'Final-Recipient: rfc822; reader@example.com',
  'Action: failed',
  'Status: 5.1.1',
  'Diagnostic-Code: smtp; 550 5.1.1 <reader@example.com>: Recipient address rejected:',
  '  User unknown in virtual mailbox table',
  '',
].join('\r\n');

describe('bounce parsing', () => {
  it('reads a hard bounce from a delivery-status part, with folded lines', () => {
    expect(parseDeliveryStatus(DSN)).toEqual([
      {
        kind: 'hard',
        recipient: 'reader@example.com',
        status: '5.1.1',
        reason: expect.stringContaining('User unknown in virtual mailbox table'),
      },
    ]);
  });
  it('treats delayed and 4.x.x as soft, and ignores delivered', () => {
    const soft = DSN.replace('Action: failed', 'Action: delayed').replace('Status: 5.1.1', 'Status: 4.4.1');
    expect(parseDeliveryStatus(soft)[0]!.kind).toBe('soft');
    expect(parseDeliveryStatus(DSN.replace('Action: failed', 'Action: delivered'))).toEqual([]);
  });
  it('reads a complaint from a feedback report', () => {
    expect(
      parseFeedbackReport('Feedback-Type: abuse\r\nUser-Agent: x/1\r\nVersion: 1\r\nOriginal-Rcpt-To: reader@example.com\r\n'),
    ).toMatchObject({ kind: 'complaint', recipient: 'reader@example.com' });
  });
});

describe('bounces arriving after the send', () => {
  let t: TestDatabase | undefined;
  let inbox: BounceInbox | undefined;
  let server: TestServer | undefined;
  afterEach(async () => {
    await inbox?.close();
    await server?.close();
    await t?.close();
    t = inbox = server = undefined;
  });

  async function withDelivery() {
    t = await createTestDatabase(SERVICE_ENGINE);
    const s = await t.db
      .insertInto('subscribers')
      .values({ email: 'reader@example.com', status: 'active' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const e = await t.db
      .insertInto('editions')
      .values({
        date: '2026-11-20',
        slot: '06:00',
        status: 'sent',
        send_at: new Date(),
        cutoff_at: new Date(Date.now() + 6 * 3_600_000),
        window_start: new Date(),
        window_end: new Date(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const d = await t.db
      .insertInto('deliveries')
      .values({ edition_id: e.id, subscriber_id: s.id, status: 'sent' })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { db: t.db, subscriberId: s.id, deliveryId: d.id };
  }

  it('takes a DSN over SMTP at the VERP address, suppresses the reader, and refuses other addresses', async () => {
    const { db, deliveryId } = await withDelivery();
    inbox = await startBounceInbox({ db, log: silentLogger, bounceAddress: 'bounces@example.com', port: 0 });
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: inbox.port, secure: false, ignoreTLS: true });
    try {
      await expect(
        transport.sendMail({ envelope: { from: '', to: 'someone@example.com' }, raw: 'Subject: x\r\n\r\nx' }),
      ).rejects.toMatchObject({ responseCode: 550 });
      const raw = [
        'From: MAILER-DAEMON@mx.example.net',
        `To: bounces+${deliveryId}@example.com`,
        'Subject: Undelivered Mail Returned to Sender',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
        '',
        '--B',
        'Content-Type: text/plain',
        '',
        'Your message could not be delivered.',
        '--B',
        'Content-Type: message/delivery-status',
        '',
        DSN,
        '--B--',
        '',
      ].join('\r\n');
      await transport.sendMail({ envelope: { from: '', to: `bounces+${deliveryId}@example.com` }, raw });
    } finally {
      transport.close();
    }
    const reader = await db.selectFrom('subscribers').select('status').executeTakeFirstOrThrow();
    expect(reader.status).toBe('bounced');
    expect(
      await db.selectFrom('suppressions').select('reason').where('email_hash', '=', emailHash('reader@example.com')).executeTakeFirst(),
    ).toEqual({ reason: 'bounced' });
    const event = await db.selectFrom('subscriber_events').selectAll().where('type', '=', 'bounced').executeTakeFirstOrThrow();
    expect(event.reason).toContain('5.1.1');
  });

  it('POST /api/bounces needs the admin token, records a complaint, and only logs a temporary bounce', async () => {
    const { db, deliveryId } = await withDelivery();
    server = await startTestServer(t!, testConfig({ BOUNCE_ADDRESS: 'bounces@example.com' }));
    const post = (body: unknown, token = ADMIN_TOKEN) =>
      fetch(`${server!.url}/api/bounces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
    expect((await post({ type: 'bounce', email: 'reader@example.com' }, 'wrong-token-123456')).status).toBe(401);
    expect(await (await post({ type: 'bounce', verp: `bounces+${deliveryId}@example.com`, permanent: false })).json()).toEqual({
      recorded: 0,
      ignored: 1,
      errors: [],
    });
    expect((await db.selectFrom('subscribers').select('status').executeTakeFirstOrThrow()).status).toBe('active');
    const bad = await post([{ type: 'bounce' }]);
    expect(bad.status).toBe(422);
    expect(await (await post({ type: 'complaint', delivery_id: deliveryId, reason: 'FBL' })).json()).toEqual({
      recorded: 1,
      ignored: 0,
      errors: [],
    });
    expect((await db.selectFrom('subscribers').select('status').executeTakeFirstOrThrow()).status).toBe('bounced');
    expect(await db.selectFrom('suppressions').select('reason').executeTakeFirst()).toEqual({ reason: 'complained' });
  });
});
