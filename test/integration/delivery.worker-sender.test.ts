import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/config/index.js';
import { deliveryCounts, digestMessageSource, RelayWatch } from '../../src/delivery/index.js';
import { dailySpecs, prepareEdition, runEdition } from '../../src/editions/index.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';
import { seedReaders, seedStories, slotMinutesAgo } from '../helpers/delivery.js';
import { RELAY_GONE, recordingSender, SENT } from '../helpers/recording-sender.js';
import { until } from '../helpers/send-process.js';

/**
 * The worker behind the Sender seam, with a recording Sender (no sockets): what it hands over, and
 * that a relay that goes away pauses it instead of spending every delivery's attempts.
 */
describe.each(ENGINES)('the delivery worker behind the Sender seam on %s', (engine) => {
  let t: TestDatabase | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function prepared(readers: number) {
    t = await createTestDatabase(engine);
    const slot = slotMinutesAgo(5);
    const config = testConfig({
      SMTP_URL: 'smtp://user:hunter2@127.0.0.1:9',
      DIGEST_CRON: slot.cron,
      RETRY_BASE_SECONDS: '0',
      RETRY_MAX_ATTEMPTS: '3',
    });
    await seedStories(t.db, slot.sendAt);
    await seedReaders(t.db, readers);
    const p = await prepareEdition({ db: t.db, config, log: silentLogger }, dailySpecs(config, slot.date)[0]!, { now: new Date() });
    return { db: t.db, config, edition: p.edition };
  }

  it('hands each reader one message through the Sender and records them sent', async () => {
    const { db, config, edition } = await prepared(30);
    const sender = recordingSender();
    const counts = await runEdition({ db, config, log: silentLogger, sender, messages: digestMessageSource(db, config) }, edition, {
      workers: 1,
      workerOptions: { idleMs: 20, batchSize: 7, concurrency: 3 },
    });
    expect(counts).toMatchObject({ sent: 30, failed: 0, retry: 0, queued: 0, sending: 0 });
    expect(new Set(sender.messages.map((m) => m.to)).size).toBe(30);
    expect(sender.messages).toHaveLength(30);
    expect(sender.verifies).toBe(1);
    expect(sender.messages[0]!.raw.toString()).toMatch(/^Message-ID: <[^>]+>\r$/im);
  });

  it('a relay that goes away pauses claiming after a run of failures, and resumes when a probe gets through', async () => {
    const { db, config, edition } = await prepared(40);
    const sender = recordingSender();
    let relayUp = true;
    // At the 10th message the relay goes away (sends and probes fail alike).
    sender.answer = (_m, n) => {
      if (n === 10) relayUp = sender.reachable = false;
      return relayUp ? SENT : RELAY_GONE;
    };
    const relay = new RelayWatch(sender, { url: config.smtp.url!, log: silentLogger, downAfter: 3, probeMs: 50, maxProbeMs: 100 });
    const statuses: boolean[] = [];
    relay.onChange((s) => statuses.push(s.up));
    const send = runEdition({ db, config, log: silentLogger, sender, relay, messages: digestMessageSource(db, config) }, edition, {
      workers: 1,
      workerOptions: { idleMs: 20, batchSize: 5, concurrency: 2 },
    });
    await until('the relay to be judged down', () => !relay.up, 20_000);
    const status = relay.status();
    expect(status.error).toContain('SMTP_URL smtp://user:***@127.0.0.1:9');
    expect(status.error).not.toContain('hunter2');
    // Paused: the probe keeps failing, and no more messages are handed over meanwhile.
    const handedAtPause = sender.messages.length;
    const probesAtPause = sender.verifies;
    await until('a few probes', () => sender.verifies >= probesAtPause + 3, 20_000);
    expect(sender.messages.length).toBe(handedAtPause);
    // At most the run that judged it down plus what was already in flight was spent on a dead relay.
    expect(handedAtPause - 9).toBeLessThanOrEqual(3 + 2);
    const attempts = await db.selectFrom('deliveries').select(['attempts', 'status']).execute();
    expect(attempts.filter((a) => a.status === 'retry').length).toBeLessThanOrEqual(5);

    // The relay comes back: the probe sees it, the send resumes and completes.
    relayUp = true;
    sender.reachable = true;
    const counts = await send;
    expect(counts).toMatchObject({ sent: 40, failed: 0, retry: 0, queued: 0, sending: 0 });
    expect(new Set(sender.messages.filter((_, i) => i < 9 || i >= handedAtPause).map((m) => m.to)).size).toBe(40);
    expect(statuses).toEqual([false, true]);
    relay.close();
    expect((await deliveryCounts(db, edition.id)).sent).toBe(40);
  });
});
