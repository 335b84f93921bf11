import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/config/index.js';
import { sql } from 'kysely';
import { deliveryCounts, digestMessageSource, failPastCutoff, PAST_CUTOFF, RelayWatch } from '../../src/delivery/index.js';
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
  it('a claim that returns deliveries it already holds (their leases ran out in an outage) sends none of them twice', async () => {
    const { db, config, edition } = await prepared(10);
    const sender = recordingSender();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // The first message hangs at the relay: the other nine wait in the queue, and the worker keeps claiming.
    sender.answer = async (_m, n) => {
      if (n === 1) await gate;
      return SENT;
    };
    const send = runEdition({ db, config, log: silentLogger, sender, messages: digestMessageSource(db, config) }, edition, {
      workers: 1,
      workerOptions: { idleMs: 20, batchSize: 20, concurrency: 1 },
    });
    await until('the first message at the relay', () => sender.messages.length === 1, 20_000);
    // What an outage longer than the lease leaves behind: the claims fall due again while still held.
    await sql`UPDATE deliveries SET lease_until = now() - interval '1 second', next_attempt_at = now() - interval '1 second'
               WHERE edition_id = ${edition.id} AND status = 'sending'`.execute(db);
    await until(
      'the worker to claim all ten again',
      async () => (await db.selectFrom('deliveries').select('attempts').execute()).every((r) => r.attempts === 2),
      20_000,
    );
    release();
    const counts = await send;
    expect(counts).toMatchObject({ sent: 10, failed: 0, retry: 0, queued: 0, sending: 0 });
    expect(sender.messages).toHaveLength(10);
    expect(new Set(sender.messages.map((m) => m.to)).size).toBe(10);
  });

  it('a delivery whose cutoff passed while the relay was down is failed as past the cutoff, not sent late', async () => {
    const { db, config, edition } = await prepared(10);
    const sender = recordingSender();
    let offsetMs = 0;
    const clock = () => new Date(Date.now() + offsetMs);
    // The first message finds the relay gone; the other nine wait in the queue while it is down.
    sender.answer = (_m, n) => {
      if (n === 1) {
        sender.reachable = false;
        return RELAY_GONE;
      }
      return SENT;
    };
    const relay = new RelayWatch(sender, { url: config.smtp.url!, log: silentLogger, downAfter: 1, probeMs: 50, maxProbeMs: 100 });
    const send = runEdition({ db, config, log: silentLogger, sender, relay, clock, messages: digestMessageSource(db, config) }, edition, {
      workers: 1,
      workerOptions: { idleMs: 20, batchSize: 20, concurrency: 1 },
    });
    await until('the relay to be judged down', () => !relay.up, 20_000);
    const probes = sender.verifies;
    await until('a probe while paused', () => sender.verifies > probes, 20_000);
    // The cutoff passes while paused (the injected clock), then the relay answers again.
    offsetMs = edition.cutoff_at.getTime() - Date.now() + 60_000;
    sender.reachable = true;
    const counts = await send;
    relay.close();
    expect(sender.messages).toHaveLength(1);
    expect(counts).toMatchObject({ sent: 0, failed: 10, retry: 0, queued: 0, sending: 0 });
    const errors = await db.selectFrom('deliveries').select('error').execute();
    expect(errors.every((r) => r.error?.endsWith(PAST_CUTOFF))).toBe(true);
  });

  it('a worker paused on its relay releases its queued claims after the grace, and a send ends once nothing is left', async () => {
    const { db, config, edition } = await prepared(10);
    const sender = recordingSender();
    sender.answer = () => {
      sender.reachable = false;
      return RELAY_GONE;
    };
    const relay = new RelayWatch(sender, { url: config.smtp.url!, log: silentLogger, downAfter: 1, probeMs: 50, maxProbeMs: 100 });
    const send = runEdition({ db, config, log: silentLogger, sender, relay, messages: digestMessageSource(db, config) }, edition, {
      workers: 1,
      workerOptions: { idleMs: 20, batchSize: 20, concurrency: 1, pausedReleaseMs: 100 },
    });
    await until('the relay to be judged down', () => !relay.up, 20_000);
    // Released, not renewed for ever: nothing stays claimed while the relay is away.
    await until('the queued claims to be released', async () => (await deliveryCounts(db, edition.id)).sending === 0, 20_000);
    // So the housekeeping can fail them past the cutoff, and the foreground send stops waiting for the relay.
    expect(await failPastCutoff(db, edition.id)).toBe(10);
    const counts = await send;
    relay.close();
    expect(relay.up).toBe(false);
    expect(sender.messages).toHaveLength(1);
    expect(counts).toMatchObject({ sent: 0, failed: 10, queued: 0, retry: 0, sending: 0 });
  });
});
