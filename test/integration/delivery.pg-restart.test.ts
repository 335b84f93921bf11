import { spawn } from 'node:child_process';
import pg from 'pg';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase, type OpenDatabase } from '../../src/db/index.js';
import { deliveryCounts } from '../../src/delivery/index.js';
import { seedReaders, seedStories, slotMinutesAgo } from '../helpers/delivery.js';
import { spawnDigest, tally, until, withTimeout } from '../helpers/send-process.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../helpers/throwaway-cluster.js';

/**
 * PostgreSQL restarted, or stopped for a while, in the middle of a send (on a cluster of this test's
 * own, never the machine's shared one): the send waits for it, then finishes; no reader is missed.
 */
const READERS = 200;

describe('a send through a PostgreSQL restart', () => {
  let cluster: ThrowawayCluster | undefined;
  let database: OpenDatabase | undefined;
  let sink: SmtpSink | undefined;
  let dataDir: string | undefined;

  beforeAll(async () => {
    cluster = await startThrowawayCluster();
  }, 90_000);
  let second: OpenDatabase | undefined;
  afterAll(async () => {
    await second?.close();
    await database?.close();
    await sink?.close();
    cluster?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('finishes after the database comes back', async () => {
    database = await openDatabase({ url: cluster!.url, poolSize: 2 });
    await migrate(database.db);
    const slot = slotMinutesAgo(5);
    await seedStories(database.db, slot.sendAt);
    await seedReaders(database.db, READERS);
    sink = await startSmtpSink({ latencyMs: 5 });
    dataDir = mkdtempSync(join(tmpdir(), 'digest-restart-'));

    const child = spawn(process.execPath, ['bin/digest.js', 'send', '--date', slot.date], {
      env: {
        ...process.env,
        DATABASE_URL: cluster!.url,
        SMTP_URL: sink.url,
        SECRET: 'test-secret-0123456789abcdef',
        DATA_DIR: dataDir,
        DIGEST_CRON: slot.cron,
        LOG_LEVEL: 'error',
        SMTP_MAX_CONNECTIONS: '2',
        DELIVERY_BATCH: '20',
        DELIVERY_LEASE_SECONDS: '30',
        WORKERS: '2',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 60_000;
      while (sink.messages.length < READERS / 4) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`send did not get going: ${output}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const before = sink.messages.length;
      cluster!.restart();
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 120_000))]);
      expect(code, output).toBe(0);
      const recipients = new Set(sink.messages.map((m) => m.to[0]));
      expect(recipients.size).toBe(READERS);
      const edition = await database.db.selectFrom('editions').selectAll().executeTakeFirstOrThrow();
      expect(edition.status).toBe('sent');
      expect(await deliveryCounts(database.db, edition.id)).toMatchObject({ sent: READERS, failed: 0 });
      console.info(`PostgreSQL restarted after ${before} messages; ${sink.messages.length - READERS} duplicate(s)`);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('keeps running while PostgreSQL is stopped for 5 s, then finishes once it is back: no crash loop, none missed', async () => {
    // A database of this test's own on the throw-away cluster.
    const admin = new pg.Client({ connectionString: cluster!.url });
    await admin.connect();
    await admin.query('CREATE DATABASE stopped_for_a_while');
    await admin.end();
    const url = cluster!.url.replace(/\/postgres$/, '/stopped_for_a_while');
    second = await openDatabase({ url, poolSize: 2 });
    await migrate(second.db);
    const slot = slotMinutesAgo(5);
    await seedStories(second.db, slot.sendAt);
    await seedReaders(second.db, READERS);
    const stopSink = await startSmtpSink({ latencyMs: 10 });
    const dir = mkdtempSync(join(tmpdir(), 'digest-stopped-'));
    const WORKERS = 2;
    const MAX_CONNECTIONS = 2;
    const send = spawnDigest(['send', '--date', slot.date], {
      DATABASE_URL: url,
      SMTP_URL: stopSink.url,
      SECRET: 'test-secret-0123456789abcdef',
      DATA_DIR: dir,
      DIGEST_CRON: slot.cron,
      LOG_LEVEL: 'warn',
      SMTP_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
      DELIVERY_BATCH: '20',
      DELIVERY_LEASE_SECONDS: '30',
      WORKERS: String(WORKERS),
    });
    let stopped = false;
    try {
      await until('the send to get going', () => stopSink.messages.length >= READERS / 4 || send.exitCode !== null, 60_000);
      expect(send.exitCode, send.output()).toBeNull();
      const before = stopSink.messages.length;
      cluster!.halt();
      stopped = true;
      // Five seconds without a database: the sender drains what it holds, then waits; it must not exit.
      const outage = Date.now();
      while (Date.now() - outage < 5000) {
        expect(send.exitCode, `digest send exited while PostgreSQL was down:\n${send.output()}`).toBeNull();
        await new Promise((r) => setTimeout(r, 100));
      }
      const duringOutage = stopSink.messages.length;
      cluster!.start();
      stopped = false;
      const code = await withTimeout(send.exited, 120_000, 'digest send after PostgreSQL came back');
      expect(code, send.output()).toBe(0);

      const { unique, duplicates } = tally(stopSink);
      expect(unique).toBe(READERS);
      // Marks that could not be written while the database was down are kept and written after, so a
      // duplicate needs a lost lease: at most the in-flight window of the workers.
      expect(duplicates).toBeLessThanOrEqual(WORKERS * (MAX_CONNECTIONS * 2 + 50));
      const edition = await second.db.selectFrom('editions').selectAll().executeTakeFirstOrThrow();
      expect(edition.status).toBe('sent');
      expect(await deliveryCounts(second.db, edition.id)).toMatchObject({ sent: READERS, failed: 0, queued: 0, retry: 0, sending: 0 });
      console.info(`PostgreSQL stopped for 5 s after ${before} messages (${duringOutage} by its end); ${duplicates} duplicate(s)`);
    } finally {
      if (stopped) cluster!.start();
      if (send.exitCode === null) send.kill('SIGKILL');
      await stopSink.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000); // a bound, not a timing assert
});
