import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/config/index.js';
import type { Engine } from '../../src/db/index.js';
import { deliveryCounts, digestMessageSource, EDITION_CHECK_MS, PAST_CUTOFF } from '../../src/delivery/index.js';
import { dailySpecs, prepareEdition, runEdition } from '../../src/editions/index.js';
import { startService, type RunningService } from '../../src/main.js';
import { adminLogin, adminPost } from '../helpers/admin.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';
import { seedReaders, seedStories, slotMinutesAgo } from '../helpers/delivery.js';
import { recordingSender, SENT } from '../helpers/recording-sender.js';
import { sendEnv, spawnDigest, tally, until, withTimeout, type DigestProcess } from '../helpers/send-process.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

/**
 * An operator's Pause, pressed in the admin in the middle of a send on a slow relay, stops every
 * worker process within EDITION_CHECK_MS: after it the relay gets only the messages each process had
 * already handed to its SMTP client and those it handed over before its next reading of the edition's
 * status. What the workers held in memory goes back to the queue untouched (no attempt spent, nothing
 * failed) and Resume sends it: every reader ends with exactly one copy.
 *
 * On PostgreSQL the workers are two processes beside the server: a `digest send` (which ends, saying
 * it was paused, exit 6) and a `digest worker` (which goes on after Resume). On the embedded engine,
 * one process by design, they are `digest serve`'s own.
 */
const MAX_CONNECTIONS = 2;
const CONCURRENCY = 2 * MAX_CONNECTIONS; // DeliveryWorker's default: messages handed to the SMTP client at once
const MESSAGE_MS = 50; // the relay's delay per message: 25 ms before the reply to RCPT TO, 25 ms before the one to DATA

/** The reading's own round trip, on a machine busy with other tests (on PGlite it waits for the one session). */
const READ_MS = 100;
/**
 * What one worker process may still get accepted after the pause, at most: what it had handed to its
 * SMTP client, and what its connections take before a reading of the status sees the pause.
 */
const AFTER_PAUSE_PER_PROCESS = CONCURRENCY + MAX_CONNECTIONS * Math.ceil((EDITION_CHECK_MS + READ_MS) / MESSAGE_MS);

describe.each(ENGINES)('Pause in the middle of a send on %s', (engine: Engine) => {
  let t: TestDatabase | undefined;
  let sink: SmtpSink | undefined;
  let service: RunningService | undefined;
  let dataDir: string | undefined;
  const children: DigestProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await service?.close();
    await sink?.close();
    await t?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    t = sink = service = dataDir = undefined;
  });

  it('stops every worker within the check interval, gives back what they held, and Resume sends each remaining reader one copy', async () => {
    const processes = engine === 'postgres' ? 2 : 1;
    // Claims held in memory by each worker: up to 1.5 batches (DeliveryWorker), so a pause that only
    // stops the claim lets all of them out.
    const readers = engine === 'postgres' ? 400 : 300;
    const batch = engine === 'postgres' ? 100 : 200;
    t = await createTestDatabase(engine);
    sink = await startSmtpSink({ latencyMs: MESSAGE_MS / 2 });
    const slot = slotMinutesAgo(5);
    await seedStories(t.db, slot.sendAt);
    await seedReaders(t.db, readers);
    const settings = {
      HOST: '127.0.0.1',
      DIGEST_CRON: slot.cron,
      SMTP_URL: sink.url,
      SMTP_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
      DELIVERY_BATCH: String(batch),
    };
    // On PostgreSQL the server only serves the admin; the two processes below do the sending.
    const config = testConfig({ ...settings, WORKERS: engine === 'postgres' ? '0' : '1' });
    const prepared = await prepareEdition({ db: t.db, config, log: silentLogger }, dailySpecs(config, slot.date)[0]!, { now: new Date() });
    expect(prepared.deliveriesCreated).toBe(readers);
    const id = prepared.edition.id;
    service = await startService(config, silentLogger, { database: t });

    let send: DigestProcess | undefined;
    if (engine === 'postgres') {
      dataDir = mkdtempSync(join(tmpdir(), 'digest-pause-'));
      const env = sendEnv({ databaseUrl: t.url!, smtpUrl: sink.url, dataDir, cron: slot.cron }, { ...settings, WORKERS: '1' });
      send = spawnDigest(['send', '--date', slot.date], env);
      const worker = spawnDigest(['worker', '--concurrency', '1'], env);
      children.push(send, worker);
      // Both processes are sending: more connections at once than one of them opens.
      await until('both processes sending', () => sink!.peakConnections() > MAX_CONNECTIONS, 60_000);
    }
    await until('a fifth of the readers mailed', () => sink!.messages.length >= readers / 5, 60_000);

    const session = await adminLogin(service.url);
    const pause = await adminPost(service.url, `/admin/editions/${id}/pause`, session);
    expect(pause.status).toBe(303);
    expect(decodeURIComponent(pause.headers.get('location')!)).toContain('Paused');
    const atPause = sink.messages.length;

    // Stopped within the check interval: 1.5 s later the relay gets nothing more, for good.
    await new Promise((r) => setTimeout(r, 1500));
    const afterPause = sink.messages.length;
    await new Promise((r) => setTimeout(r, 2000));
    expect(sink.messages.length, 'messages kept arriving seconds after the pause').toBe(afterPause);
    expect(afterPause - atPause, `accepted after the pause (${atPause} before it)`).toBeLessThanOrEqual(
      processes * AFTER_PAUSE_PER_PROCESS,
    );
    expect(afterPause).toBeLessThan(readers);

    // What the workers held went back as it was: queued, no attempt spent, nothing failed or left claimed.
    await until('claims given back', async () => (await deliveryCounts(t!.db, id)).sending === 0, 10_000);
    const counts = await deliveryCounts(t.db, id);
    expect(counts).toMatchObject({ sent: afterPause, sending: 0, retry: 0, failed: 0, queued: readers - afterPause });
    const unsent = await t.db
      .selectFrom('deliveries')
      .select(['status', 'attempts'])
      .where('edition_id', '=', id)
      .where('status', '<>', 'sent')
      .execute();
    expect(new Set(unsent.map((d) => `${d.status} ${d.attempts}`))).toEqual(new Set(['queued 0']));
    if (send) {
      // The foreground send ends, and says why nothing more went out.
      expect(await withTimeout(send.exited, 15_000, 'digest send to end after the pause'), send.output()).toBe(6);
      expect(send.output()).toMatch(/paused by an operator/);
    }

    const resume = await adminPost(service.url, `/admin/editions/${id}/resume`, session);
    expect(decodeURIComponent(resume.headers.get('location')!)).toContain('Resumed');
    await until('every reader mailed', () => sink!.messages.length >= readers, 90_000);
    await until('every delivery marked sent', async () => (await deliveryCounts(t!.db, id)).sent === readers, 30_000);
    const { unique, duplicates } = tally(sink);
    expect(unique).toBe(readers);
    expect(duplicates).toBe(0);
    console.info(
      `${engine}: paused at ${atPause} of ${readers}; ${afterPause - atPause} accepted after it (bound ${processes} × ${AFTER_PAUSE_PER_PROCESS})`,
    );
  }, 240_000);
});

describe.each(ENGINES)('an edition that expires while a worker holds its claims, on %s', (engine: Engine) => {
  let t: TestDatabase | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('fails the claims held as past the cutoff, as the housekeeping fails the rest: none left waiting, none sent late', async () => {
    t = await createTestDatabase(engine);
    const slot = slotMinutesAgo(5);
    const config = testConfig({ SMTP_URL: 'smtp://127.0.0.1:9', DIGEST_CRON: slot.cron });
    await seedStories(t.db, slot.sendAt);
    await seedReaders(t.db, 10);
    const { edition } = await prepareEdition({ db: t.db, config, log: silentLogger }, dailySpecs(config, slot.date)[0]!, {
      now: new Date(),
    });
    // The first message hangs at the relay: the other nine wait in the worker's queue, claimed.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sender = recordingSender();
    sender.answer = async (_m, n) => {
      if (n === 1) await gate;
      return SENT;
    };
    let offsetMs = 0;
    const clock = () => new Date(Date.now() + offsetMs);
    const db = t.db;
    const send = runEdition({ db, config, log: silentLogger, sender, clock, messages: digestMessageSource(db, config) }, edition, {
      workers: 1,
      workerOptions: { idleMs: 20, batchSize: 20, concurrency: 1 },
    });
    await until('the first message at the relay', () => sender.messages.length === 1, 20_000);
    // The cutoff passes and the housekeeping expires the edition (settle-editions.ts) while the nine are held.
    offsetMs = edition.cutoff_at.getTime() - Date.now() + 60_000;
    await db
      .updateTable('editions')
      .set({ status: 'expired', error: 'cutoff reached while sending' })
      .where('id', '=', edition.id)
      .execute();
    await new Promise((r) => setTimeout(r, 2 * EDITION_CHECK_MS));
    release();
    const counts = await send;
    expect(sender.messages).toHaveLength(1);
    expect(counts).toMatchObject({ sent: 1, failed: 9, queued: 0, retry: 0, sending: 0 });
    const failed = await db.selectFrom('deliveries').select('error').where('status', '=', 'failed').execute();
    expect(failed.every((r) => r.error?.endsWith(PAST_CUTOFF))).toBe(true);
  });
});
