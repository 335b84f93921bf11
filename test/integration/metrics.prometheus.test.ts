import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, testConfig } from '../helpers/config.js';
import { useCleanup } from '../helpers/cleanup.js';
import { createTestDatabase, SERVICE_ENGINE } from '../helpers/database.js';
import { seedReaders, seedStories, sendDaily, slotMinutesAgo, insertSendingEdition } from '../helpers/delivery.js';
import { startTestServer, useTestServer } from '../helpers/http.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';

describe('GET /metrics', () => {
  const ctx = useTestServer(SERVICE_ENGINE, testConfig());

  const scrape = async () => {
    const res = await fetch(`${ctx.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheus(await res.text());
  };

  it('needs the admin token', async () => {
    expect((await fetch(`${ctx.url}/metrics`)).status).toBe(401);
  });

  it('parses as Prometheus text and its numbers follow the database and the traffic', async () => {
    const before = await scrape();
    expect(sampleValue(before, 'digest_subscribers', { state: 'active' })).toBe(0);
    expect(sampleValue(before, 'digest_queue_depth')).toBe(0);
    expect(sampleValue(before, 'digest_process_resident_memory_bytes')).toBeGreaterThan(0);

    const [a, b] = await ctx.t.db
      .insertInto('subscribers')
      .values([
        { email: 'a@example.com', status: 'active' },
        { email: 'b@example.com', status: 'active' },
        { email: 'c@example.com', status: 'unsubscribed' },
      ])
      .returning('id')
      .execute();
    const edition = await insertSendingEdition(ctx.t.db, '2026-11-26');
    await ctx.t.db
      .insertInto('deliveries')
      .values([
        { edition_id: edition.id, subscriber_id: a!.id, status: 'sent' },
        { edition_id: edition.id, subscriber_id: b!.id, status: 'retry' },
      ])
      .execute();
    await ctx.t.db
      .insertInto('subscriber_events')
      .values([
        { subscriber_id: a!.id, type: 'confirmed' },
        { subscriber_id: b!.id, type: 'confirmed' },
      ])
      .execute();

    const after = await scrape();
    expect(sampleValue(after, 'digest_subscribers', { state: 'active' })).toBe(2);
    expect(sampleValue(after, 'digest_subscribers', { state: 'unsubscribed' })).toBe(1);
    expect(sampleValue(after, 'digest_deliveries_sent')).toBe(1);
    expect(sampleValue(after, 'digest_deliveries', { state: 'retry' })).toBe(1);
    expect(sampleValue(after, 'digest_retry_queue')).toBe(1);
    expect(sampleValue(after, 'digest_queue_depth')).toBe(1);
    expect(sampleValue(after, 'digest_editions', { state: 'sending' })).toBe(1);
    expect(sampleValue(after, 'digest_subscriber_events', { type: 'confirmed' })).toBe(2);
    // The scrapes themselves were counted.
    expect(sampleValue(after, 'digest_http_requests_total', { route: '/metrics', status: '2xx' })).toBeGreaterThanOrEqual(1);
  });
});

describe('GET /metrics around a real send', () => {
  const track = useCleanup();

  it('moves the sent count by exactly the messages the relay accepted, and the edition to sent', async () => {
    const t = track(await createTestDatabase(SERVICE_ENGINE));
    const sink = track(await startSmtpSink());
    const slot = slotMinutesAgo(5);
    const config = testConfig({ SMTP_URL: sink.url, DIGEST_CRON: slot.cron });
    await seedStories(t.db, slot.sendAt);
    await seedReaders(t.db, 4);
    const server = track(await startTestServer(t, config));
    const scrape = async () =>
      parsePrometheus(await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text());

    const before = await scrape();
    expect(sampleValue(before, 'digest_deliveries_sent')).toBe(0);
    await sendDaily(t.db, config, slot.date, { workerOptions: { idleMs: 50 } });
    await sink.waitFor(4);
    const after = await scrape();
    expect(sampleValue(after, 'digest_deliveries_sent')).toBe(sink.messages.length);
    expect(sampleValue(after, 'digest_deliveries', { state: 'sent' })).toBe(4);
    expect(sampleValue(after, 'digest_editions', { state: 'sent' })).toBe(1);
    expect(sampleValue(after, 'digest_queue_depth')).toBe(0);
  });
});
