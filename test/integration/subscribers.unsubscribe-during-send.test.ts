import { describe, expect, it } from 'vitest';
import { unsubscribeUrl, verifyToken } from '../../src/subscribers/index.js';
import { useCleanup } from '../helpers/cleanup.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';
import { seedReaders, seedStories, sendDaily, slotMinutesAgo } from '../helpers/delivery.js';
import { startTestServer, type TestServer } from '../helpers/http.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

/**
 * The unsubscribe link of a real digest, end to end: the reader's mail client POSTs the RFC 8058
 * one-click body to the URL in the List-Unsubscribe header, through the real HTTP server, while the
 * edition is sending; the rest of that edition never reaches them.
 */
describe.each(ENGINES)('unsubscribing from a digest as it is sent on %s', (engine) => {
  let t: TestDatabase | undefined;
  let sink: SmtpSink | undefined;
  let server: TestServer | undefined;
  const track = useCleanup();

  it("a one-click POST from the List-Unsubscribe header mid-send stops that reader's copy and records the edition", async () => {
    t = track(await createTestDatabase(engine));
    sink = track(await startSmtpSink({ latencyMs: 20 }));
    const slot = slotMinutesAgo(5);
    const config = testConfig({
      SMTP_URL: sink.url,
      DIGEST_CRON: slot.cron,
      PUBLIC_URL: 'https://digest.example.com',
      RETRY_BASE_SECONDS: '0',
    });
    await seedStories(t.db, slot.sendAt);
    await seedReaders(t.db, 30);
    server = track(await startTestServer(t, config));
    const db = t.db;
    const target = 'r0029@example.com';
    let editionId: number | undefined;

    // As soon as the first digest is out, the target's mail client POSTs the one-click body to the
    // target's own link: the link of the same edition (read from the first message's header).
    let posted: Promise<Response> | undefined;
    const { counts } = await sendDaily(db, config, slot.date, {
      workerOptions: { idleMs: 50, batchSize: 5, concurrency: 2 },
      onEvent: (e) => {
        if (e.type !== 'sent' || posted) return;
        posted = (async () => {
          const header = sink!.messages[0]!.headerLines.find((h) => h.key === 'list-unsubscribe')!.line;
          const token = /<https:\/\/digest\.example\.com\/u\/([^>]+)>/.exec(header)![1]!;
          const v = verifyToken(config.keys, 'unsubscribe', token);
          if (!v.ok) throw new Error(`the List-Unsubscribe link does not verify: ${v.reason}`);
          editionId = v.subject.editionId;
          const s = await db
            .selectFrom('subscribers')
            .select(['id', 'token_version'])
            .where('email', '=', target)
            .executeTakeFirstOrThrow();
          const link = unsubscribeUrl(config, s, editionId).replace('https://digest.example.com', server!.url);
          return fetch(link, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: 'List-Unsubscribe=One-Click',
          });
        })();
      },
    });
    const res = await posted!;
    expect(res.status).toBe(200);
    expect(sink.messages.map((m) => m.to[0])).not.toContain(target);
    expect(counts.sent).toBe(29);
    const event = await db.selectFrom('subscriber_events').selectAll().where('type', '=', 'unsubscribed').executeTakeFirstOrThrow();
    expect(editionId).toBeGreaterThan(0);
    expect(event.edition_id).toBe(editionId);

    // And the header of a message that was delivered works as is, for its own reader.
    const message = sink.messages[0]!;
    const header = message.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line;
    expect(header).toMatch(/List-Unsubscribe=One-Click/);
    const url = /<(https:\/\/digest\.example\.com\/u\/[^>]+)>/.exec(
      message.headerLines.find((h) => h.key === 'list-unsubscribe')!.line,
    )![1]!;
    const oneClick = await fetch(url.replace('https://digest.example.com', server.url), {
      method: 'POST',
      body: new URLSearchParams({ 'List-Unsubscribe': 'One-Click' }),
    });
    expect(oneClick.status).toBe(200);
    const reader = await db.selectFrom('subscribers').select('status').where('email', '=', message.to[0]!).executeTakeFirstOrThrow();
    expect(reader.status).toBe('unsubscribed');
  });
});
