import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/config/index.js';
import { deliveryCounts } from '../../src/delivery/index.js';
import { dailySpecs, prepareEdition } from '../../src/editions/index.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { seedReaders, seedStories, slotMinutesAgo } from '../helpers/delivery.js';
import { sendEnv, spawnDigest as digest, tally, until, withTimeout } from '../helpers/send-process.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

/**
 * The guarantees that need real processes: kill -9 in the middle of a send, and several `digest
 * worker` processes sharing one edition. PostgreSQL only: PGlite is one process by design.
 */
const READERS = 240;
const MAX_CONNECTIONS = 2;
const MARK_BATCH = 50; // DeliveryWorker's default
const CONCURRENCY = MAX_CONNECTIONS * 2; // DeliveryWorker's default

describe('delivery across processes (postgres)', () => {
  let t: TestDatabase | undefined;
  let sink: SmtpSink | undefined;
  let dataDir: string | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await sink?.close();
    await t?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    sink = t = dataDir = undefined;
  });

  async function setup() {
    t = await createTestDatabase('postgres');
    sink = await startSmtpSink({ latencyMs: 3 });
    dataDir = mkdtempSync(join(tmpdir(), 'digest-proc-'));
    const slot = slotMinutesAgo(5);
    await seedStories(t.db, slot.sendAt);
    await seedReaders(t.db, READERS);
    const env = sendEnv(
      { databaseUrl: t.url!, smtpUrl: sink.url, dataDir, cron: slot.cron },
      {
        SMTP_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
        DELIVERY_BATCH: '20',
        DELIVERY_LEASE_SECONDS: '2',
        WORKERS: '1',
      },
    );
    return { db: t.db, sink, env, slot };
  }

  it('resumes after kill -9 of `digest send`: none missed, duplicates within the in-flight window, same Message-ID', async () => {
    const { db, sink, env, slot } = await setup();
    const first = digest(['send', '--date', slot.date], env);
    children.push(first);
    await until('a third of the messages', () => sink.messages.length >= READERS / 3, 60_000);
    first.kill('SIGKILL');
    await withTimeout(first.exited, 10_000, 'killed send to exit');
    const atKill = sink.messages.length;

    const second = digest(['send', '--date', slot.date], env);
    children.push(second);
    const code = await withTimeout(second.exited, 90_000, 'second send');
    expect(code, second.output()).toBe(0);
    expect(second.output()).toMatch(/resuming/);

    const { unique, duplicates, byRecipient } = tally(sink);
    expect(unique).toBe(READERS);
    // Duplicates are messages accepted by the relay whose `sent` mark was not yet written: those in
    // the SMTP conversation plus the marks waiting for their batched UPDATE.
    expect(duplicates).toBeLessThanOrEqual(CONCURRENCY + MARK_BATCH);
    for (const r of byRecipient.values()) expect(r.ids.size).toBe(1); // a resend carries the same Message-ID
    const edition = await db.selectFrom('editions').selectAll().executeTakeFirstOrThrow();
    expect(edition.status).toBe('sent');
    expect(await deliveryCounts(db, edition.id)).toMatchObject({ sent: READERS, failed: 0 });
    console.info(`kill -9 after ${atKill} messages: ${duplicates} duplicate(s) after the restart (window ${CONCURRENCY + MARK_BATCH})`);
  });

  it('survives kill -9 at random points, again and again: none missed, duplicates within the in-flight window of each kill', async () => {
    const { db, sink, env: base, slot } = await setup();
    const WORKERS = 2;
    const env = { ...base, WORKERS: String(WORKERS) };
    // Per kill, at most what was handed to SMTP but not yet marked `sent`: each worker's concurrent
    // messages plus its unflushed marks (DeliveryWorker: 2 × SMTP_MAX_CONNECTIONS, batches of 50).
    const WINDOW = WORKERS * (CONCURRENCY + MARK_BATCH);
    // A seeded generator, so a failing run can be replayed (KILL_SEED=…).
    let seed = Number(process.env.KILL_SEED ?? Date.now() % 2_147_483_647);
    const firstSeed = seed;
    const random = () => {
      seed = (seed * 48_271) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    const kills: { after: number; at: number }[] = [];
    for (let round = 0; round < 4; round++) {
      const send = digest(['send', '--date', slot.date], env);
      children.push(send);
      const target = sink.messages.length + 1 + Math.floor(random() * 50);
      await until(
        `${target} messages (round ${round + 1}, seed ${firstSeed})`,
        () => sink.messages.length >= target || send.exitCode !== null,
        60_000,
      );
      if (send.exitCode !== null) break; // it finished before this round's kill point
      send.kill('SIGKILL');
      await withTimeout(send.exited, 10_000, 'killed send to exit');
      kills.push({ after: target, at: sink.messages.length });
    }
    const last = digest(['send', '--date', slot.date], env);
    children.push(last);
    expect(await withTimeout(last.exited, 90_000, 'final send'), last.output()).toBe(0);

    const { unique, duplicates, byRecipient } = tally(sink);
    expect(unique, `seed ${firstSeed}`).toBe(READERS);
    expect(duplicates, `seed ${firstSeed}, kills ${JSON.stringify(kills)}`).toBeLessThanOrEqual(kills.length * WINDOW);
    for (const r of byRecipient.values()) {
      expect(r.ids.size).toBe(1); // a resend carries the same Message-ID
      expect(r.count).toBeLessThanOrEqual(1 + kills.length); // each kill can repeat a message at most once
    }
    const edition = await db.selectFrom('editions').selectAll().executeTakeFirstOrThrow();
    expect(edition.status).toBe('sent');
    expect(await deliveryCounts(db, edition.id)).toMatchObject({ sent: READERS, failed: 0, queued: 0, retry: 0, sending: 0 });
    console.info(
      `kill -9 × ${kills.length} (seed ${firstSeed}) at ${kills.map((k) => k.at).join(', ')} messages: ${duplicates} duplicate(s), bound ${kills.length} × ${WINDOW}`,
    );
  }, 420_000); // a bound, not a timing assert: every wait inside has its own

  it('stops `digest send` on SIGTERM within the bound, exits 0 and releases its claims; a new send finishes the edition', async () => {
    const { db, sink, env, slot } = await setup();
    const send = digest(['send', '--date', slot.date], { ...env, DELIVERY_LEASE_SECONDS: '300' });
    children.push(send);
    await until('some messages', () => sink.messages.length >= 30, 60_000);
    const stoppedAt = Date.now();
    send.kill('SIGTERM');
    expect(await withTimeout(send.exited, 25_000, 'send to stop'), send.output()).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(20_000);
    // Nothing is left claimed: a 300 s lease would otherwise hold those readers back.
    expect(await db.selectFrom('deliveries').select('id').where('status', '=', 'sending').execute()).toEqual([]);
    const again = digest(['send', '--date', slot.date], env);
    children.push(again);
    expect(await withTimeout(again.exited, 60_000, 'second send'), again.output()).toBe(0);
    expect(tally(sink).unique).toBe(READERS);
    expect(tally(sink).duplicates).toBe(0);
  });

  it('three `digest worker` processes share one edition: every reader once, no duplicates, and SIGTERM exits 0', async () => {
    const { db, sink, env, slot } = await setup();
    const config = testConfig({ DIGEST_CRON: env.DIGEST_CRON });
    const prepared = await prepareEdition({ db, config, log: silentLogger }, dailySpecs(config, slot.date)[0]!, { now: new Date() });
    expect(prepared.deliveriesCreated).toBe(READERS);

    const workers = [1, 2, 3].map(() => digest(['worker'], { ...env, DELIVERY_LEASE_SECONDS: '60' }));
    children.push(...workers);
    await until('every reader mailed', () => sink.messages.length >= READERS, 90_000);
    await until('every delivery marked sent', async () => (await deliveryCounts(db, prepared.edition.id)).sent === READERS, 30_000);

    for (const w of workers) w.kill('SIGTERM');
    const codes = await withTimeout(Promise.all(workers.map((w) => w.exited)), 25_000, 'workers to stop');
    expect(codes).toEqual([0, 0, 0]);
    const { unique, duplicates } = tally(sink);
    expect(unique).toBe(READERS);
    expect(duplicates).toBe(0);
  });
});
