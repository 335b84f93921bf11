import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase, type OpenDatabase } from '../../src/db/index.js';
import { deliveryCounts } from '../../src/delivery/index.js';
import { seedReaders, seedStories, slotMinutesAgo } from '../helpers/delivery.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../helpers/throwaway-cluster.js';

/**
 * PostgreSQL restarted in the middle of a send (on a cluster of this test's own, never the machine's
 * shared one): the send waits for it, then finishes; no reader is missed.
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
  afterAll(async () => {
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

    const child = spawn(process.execPath, ['bin/digest.js', 'send'], {
      env: { ...process.env, DATABASE_URL: cluster!.url, SMTP_URL: sink.url, SECRET: 'test-secret-0123456789abcdef', DATA_DIR: dataDir, DIGEST_CRON: slot.cron, LOG_LEVEL: 'error', SMTP_MAX_CONNECTIONS: '2', DELIVERY_BATCH: '20', DELIVERY_LEASE_SECONDS: '30', WORKERS: '2' },
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
});
