import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/config/index.js';
import { deliveryCounts } from '../../src/delivery/index.js';
import { dailySpecs, prepareEdition } from '../../src/editions/index.js';
import { emailHash, suppress, unsubscribe, verifyToken } from '../../src/subscribers/index.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';
import { seedReaders, seedStories, sendDaily, slotMinutesAgo } from '../helpers/delivery.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startTestServer } from '../helpers/http.js';

const FAST = { workerOptions: { idleMs: 50, batchSize: 7 } };

describe.each(ENGINES)('delivery on %s', (engine) => {
  let t: TestDatabase | undefined;
  let sink: SmtpSink | undefined;
  afterEach(async () => {
    await sink?.close();
    await t?.close();
    sink = t = undefined;
  });

  async function setup(sinkOptions: Parameters<typeof startSmtpSink>[0] = {}, env: Record<string, string> = {}) {
    t = await createTestDatabase(engine);
    sink = await startSmtpSink(sinkOptions);
    const slot = slotMinutesAgo(5);
    const config = testConfig({
      SMTP_URL: sink.url,
      DIGEST_CRON: slot.cron,
      RETRY_BASE_SECONDS: '0',
      BOUNCE_ADDRESS: 'bounces@example.com',
      PUBLIC_URL: 'https://digest.example.com',
      ...env,
    });
    await seedStories(t.db, slot.sendAt);
    return { db: t.db, config, date: slot.date, sink };
  }

  it('sends exactly one message to each active reader and none to pending, unsubscribed, bounced or suppressed ones', async () => {
    const { db, config, date, sink } = await setup();
    const active = await seedReaders(db, 20);
    await seedReaders(db, 2, { prefix: 'pending', status: 'pending' });
    await seedReaders(db, 2, { prefix: 'gone', status: 'unsubscribed' });
    await seedReaders(db, 2, { prefix: 'bounced', status: 'bounced' });
    await seedReaders(db, 1, { prefix: 'suppressed' });
    await suppress(db, 'suppressed0000@example.com', 'complained');

    const { prepared, counts } = await sendDaily(db, config, date, FAST);
    expect(prepared.outcome).toBe('created');
    expect(prepared.deliveriesCreated).toBe(20);
    expect(counts).toMatchObject({ sent: 20, total: 20, queued: 0, sending: 0, retry: 0, failed: 0 });
    const to = sink.messages.map((m) => m.to[0]).sort();
    expect(to).toEqual(Array.from({ length: 20 }, (_, i) => `r${String(i).padStart(4, '0')}@example.com`));
    expect(new Set(sink.messages.map((m) => m.parsed.messageId)).size).toBe(20);

    const m = sink.messages[0]!;
    // VERP: the envelope sender names the delivery.
    expect(m.from).toMatch(/^bounces\+\d+@example\.com$/);
    const lu = m.headerLines.find((h) => h.key === 'list-unsubscribe')!.line;
    expect(lu).toMatch(/^List-Unsubscribe: <https:\/\/digest\.example\.com\/u\/[^>]+>$/);
    expect(m.headerLines.find((h) => h.key === 'list-unsubscribe-post')!.line).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    const token = /\/u\/([^>]+)>/.exec(lu)![1]!;
    const verified = verifyToken(config.keys, 'unsubscribe', token);
    const reader = await db.selectFrom('subscribers').select('id').where('email', '=', m.to[0]!).executeTakeFirstOrThrow();
    expect(verified).toMatchObject({ ok: true, subject: { subscriberId: reader.id, editionId: prepared.edition.id } });
    expect(m.parsed.text).toContain(`/u/${token}`);
    expect(active).toContain(reader.id);

    // The link works: the RFC 8058 one-click POST a mail client makes unsubscribes this reader.
    const server = await startTestServer(t!, config);
    try {
      const url = lu.slice(lu.indexOf('<') + 1, lu.lastIndexOf('>')).replace('https://digest.example.com', server.url);
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });
      expect(res.status).toBeLessThan(300);
      const after = await db.selectFrom('subscribers').select('status').where('id', '=', reader.id).executeTakeFirstOrThrow();
      expect(after.status).toBe('unsubscribed');
    } finally {
      await server.close();
    }

    const edition = await db.selectFrom('editions').selectAll().where('id', '=', prepared.edition.id).executeTakeFirstOrThrow();
    expect(edition.status).toBe('sent');
    expect(edition.story_ids.length).toBe(3);
  });

  it('a second send of the same date sends nothing and says so', async () => {
    const { db, config, date, sink } = await setup();
    await seedReaders(db, 5);
    await sendDaily(db, config, date, FAST);
    await seedReaders(db, 1, { prefix: 'late' });
    const again = await sendDaily(db, config, date, FAST);
    expect(again.prepared.outcome).toBe('already_sent');
    expect(again.counts.sent).toBe(5);
    expect(sink.messages).toHaveLength(5);
  });

  it('retries 421 and 451 and delivers; 550 fails the delivery and suppresses the address; the rest go on', async () => {
    const seen = new Map<string, number>();
    const { db, config, date, sink } = await setup({
      onRecipient(address) {
        const n = (seen.get(address) ?? 0) + 1;
        seen.set(address, n);
        if (address === 'r0001@example.com' && n === 1) return { code: 421, message: 'Service not available, closing channel' };
        if (address === 'r0002@example.com' && n <= 2) return { code: 451, message: '4.3.0 Try again later' };
        if (address === 'r0003@example.com') return { code: 550, message: '5.1.1 No such user' };
        return undefined;
      },
    });
    await seedReaders(db, 6);
    const { prepared, counts } = await sendDaily(db, config, date, FAST);
    expect(counts).toMatchObject({ sent: 5, failed: 1, retry: 0, queued: 0, sending: 0 });
    expect(sink.messages.map((m) => m.to[0]).sort()).toEqual([
      'r0000@example.com',
      'r0001@example.com',
      'r0002@example.com',
      'r0004@example.com',
      'r0005@example.com',
    ]);
    const failed = await db
      .selectFrom('deliveries')
      .selectAll()
      .where('edition_id', '=', prepared.edition.id)
      .where('status', '=', 'failed')
      .executeTakeFirstOrThrow();
    expect(failed.error).toContain('No such user');
    const s = await db.selectFrom('suppressions').selectAll().where('email_hash', '=', emailHash('r0003@example.com')).executeTakeFirst();
    expect(s?.reason).toBe('bounced');
    const reader = await db.selectFrom('subscribers').select('status').where('email', '=', 'r0003@example.com').executeTakeFirstOrThrow();
    expect(reader.status).toBe('bounced');
    const retried = await db
      .selectFrom('deliveries as d')
      .innerJoin('subscribers as s', 's.id', 'd.subscriber_id')
      .select(['s.email', 'd.attempts'])
      .where('s.email', 'in', ['r0001@example.com', 'r0002@example.com'])
      .orderBy('s.email')
      .execute();
    expect(retried.map((r) => r.attempts)).toEqual([2, 3]);
  });

  it('retries a message whose connection was dropped after DATA, counts it uncertain, and delivers it once more', async () => {
    const { db, config, date, sink } = await setup({ onData: (_m, n) => (n === 2 ? 'drop' : undefined) });
    await seedReaders(db, 4);
    const { counts } = await sendDaily(db, config, date, { workerOptions: { idleMs: 50, batchSize: 10, concurrency: 1 } });
    expect(counts).toMatchObject({ sent: 4, failed: 0, uncertain: 1 });
    expect(new Set(sink.messages.map((m) => m.to[0])).size).toBe(4);
  });

  it('does not mail a reader who unsubscribes while the edition is sending', async () => {
    const { db, config, date, sink } = await setup({ latencyMs: 20 });
    await seedReaders(db, 30);
    const target = await db.selectFrom('subscribers').select('id').where('email', '=', 'r0029@example.com').executeTakeFirstOrThrow();
    let done = false;
    const { counts } = await sendDaily(db, config, date, {
      workerOptions: { idleMs: 50, batchSize: 5, concurrency: 2 },
      onEvent: (e) => {
        if (e.type === 'sent' && !done) {
          done = true;
          void unsubscribe(db, target.id, { reason: 'test' });
        }
      },
    });
    expect(sink.messages.map((m) => m.to[0])).not.toContain('r0029@example.com');
    expect(counts.sent).toBe(29);
    expect(counts.skipped).toBe(1);
  });

  it('an empty day is skipped and logged as empty by default, or sends a quiet-day note with EMPTY_DAY=note', async () => {
    t = await createTestDatabase(engine);
    sink = await startSmtpSink();
    const slot = slotMinutesAgo(5);
    await seedReaders(t.db, 2);
    const skip = testConfig({ SMTP_URL: sink.url, DIGEST_CRON: slot.cron });
    const skipped = await sendDaily(t.db, skip, slot.date, FAST);
    expect(skipped.prepared.outcome).toBe('empty');
    expect(sink.messages).toHaveLength(0);
    await t.db.deleteFrom('editions').execute();
    const note = testConfig({ SMTP_URL: sink.url, DIGEST_CRON: slot.cron, EMPTY_DAY: 'note' });
    const noted = await sendDaily(t.db, note, slot.date, FAST);
    expect(noted.counts.sent).toBe(2);
    expect(sink.messages[0]!.parsed.text).toContain('Nothing new today');
  });

  it('expires an edition whose cutoff has passed and sends nothing', async () => {
    const { db, config } = await setup();
    await seedReaders(db, 3);
    const old = dailySpecs(config, '2026-01-05')[0]!;
    const prepared = await prepareEdition({ db, config, log: silentLogger }, old, { now: new Date() });
    expect(prepared.outcome).toBe('expired');
    expect(prepared.edition.status).toBe('expired');
    expect((await deliveryCounts(db, prepared.edition.id)).total).toBe(0);
  });
});
