import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase, type OpenDatabase } from '../../src/db/index.js';
import { deliveryCounts, duplicateBound } from '../../src/delivery/index.js';
import { JOURNAL_FOLDER } from '../../src/delivery/sent-journal.js';
import { journaledDuplicateBound } from '../../src/delivery/unrecorded-window.js';
import { seedReaders, seedStories, slotMinutesAgo } from '../helpers/delivery.js';
import { sendEnv, spawnDigest, tally, until, withTimeout } from '../helpers/send-process.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../helpers/throwaway-cluster.js';

/**
 * The worst order of faults for duplicates: PostgreSQL stops in the middle of a send (so `sent` marks
 * cannot be written and pile up), the sender is killed with -9 while it is down, PostgreSQL comes
 * back, `digest send` is run again and killed with -9 again in full flow, and run a third time.
 *
 * The back-pressure on marks (unrecorded-window.ts) stops the sender writing to the relay once
 * WORKERS × (2 × SMTP_MAX_CONNECTIONS + 50) messages wait for their mark. Those marks are in the
 * sent journal in DATA_DIR (sent-journal.ts), which the next start writes before it claims: what a
 * kill resends is only what was at the relay unanswered, SMTP_MAX_CONNECTIONS + 1 per process
 * (journaledDuplicateBound), the bound README "What is and is not guaranteed" states. Before the
 * journal this scenario resent the whole window (108 here). On a cluster of this test's own, on its
 * own port: the machine's shared PostgreSQL is never stopped.
 */
const READERS = 2000;
const WORKERS = 2;
const MAX_CONNECTIONS = 2;
const KILLS = 2;
/** The stated bound: SMTP_MAX_CONNECTIONS + 1 per kill of one process (its workers share the connections). */
const BOUND = KILLS * journaledDuplicateBound(MAX_CONNECTIONS);
/** What may reach the relay while no mark can be stored (concurrency 2 × SMTP_MAX_CONNECTIONS, 50 waiting marks per worker). */
const WINDOW = WORKERS * duplicateBound({ concurrency: 2 * MAX_CONNECTIONS, maxMarks: 50 });

describe('PostgreSQL down, then a crash, then a rerun (a cluster of its own)', () => {
  let cluster: ThrowawayCluster | undefined;
  let database: OpenDatabase | undefined;
  let sink: SmtpSink | undefined;
  let dataDir: string | undefined;
  let halted = false;

  beforeAll(async () => {
    cluster = await startThrowawayCluster();
  }, 90_000);
  afterAll(async () => {
    if (halted) cluster?.start();
    await database?.close();
    await sink?.close();
    cluster?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it(`${READERS} readers, ${KILLS} kills: 0 missed, duplicates within ${KILLS} × (SMTP_MAX_CONNECTIONS + 1) = ${BOUND}`, async () => {
    const admin = new pg.Client({ connectionString: cluster!.url });
    await admin.connect();
    await admin.query('CREATE DATABASE outage_then_crash');
    await admin.end();
    const url = cluster!.url.replace(/\/postgres$/, '/outage_then_crash');
    database = await openDatabase({ url, poolSize: 2 });
    await migrate(database.db);
    const slot = slotMinutesAgo(5);
    await seedStories(database.db, slot.sendAt);
    await seedReaders(database.db, READERS);
    // A relay that takes a few ms per message (2 ms before each RCPT and DATA reply).
    sink = await startSmtpSink({ latencyMs: 2 });
    dataDir = mkdtempSync(join(tmpdir(), 'digest-outage-'));
    const env = sendEnv(
      { databaseUrl: url, smtpUrl: sink.url, dataDir, cron: slot.cron },
      {
        SMTP_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
        WORKERS: String(WORKERS),
        DELIVERY_BATCH: '200',
        // The rerun takes the dead process's claims once their leases run out.
        DELIVERY_LEASE_SECONDS: '5',
        LOG_LEVEL: 'error',
      },
    );

    const started = Date.now();
    /** Seconds since the first send started, at each step (printed at the end: where the test's time goes). */
    const steps: string[] = [];
    const step = (what: string) => steps.push(`${what} ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const first = spawnDigest(['send', '--date', slot.date], env);
    let atHalt = 0;
    let atKill = 0;
    try {
      await until('the send to get going', () => sink!.messages.length >= READERS / 4 || first.exitCode !== null, 90_000);
      expect(first.exitCode, first.output()).toBeNull();
      step('halt');
      cluster!.halt();
      halted = true;
      atHalt = sink.messages.length;
      // The sender keeps its claims but must stop writing to the relay once its window is full:
      // wait until nothing more arrives for a second (bounded).
      let last = -1;
      for (let i = 0; i < 20 && sink.messages.length !== last; i++) {
        last = sink.messages.length;
        await new Promise((r) => setTimeout(r, 1000));
      }
      expect(first.exitCode, `digest send exited while PostgreSQL was down:\n${first.output()}`).toBeNull();
      atKill = sink.messages.length;
      step('kill');
      first.kill('SIGKILL');
      await withTimeout(first.exited, 10_000, 'kill -9');
    } finally {
      if (first.exitCode === null) first.kill('SIGKILL');
    }
    expect(atKill - atHalt, 'messages written to the relay while no mark could be stored').toBeLessThanOrEqual(WINDOW);
    expect(readdirSync(join(dataDir, JOURNAL_FOLDER)), 'the sent journal the killed process left').toHaveLength(WORKERS);

    cluster!.start();
    halted = false;
    step('started');
    // The rerun writes the journal's marks, then sends the rest; killed again in full flow.
    const rerun = spawnDigest(['send', '--date', slot.date], env);
    let atSecondKill = 0;
    try {
      await until('the rerun to send', () => sink!.messages.length >= (READERS * 3) / 4 || rerun.exitCode !== null, 90_000);
      atSecondKill = sink.messages.length;
      step('second kill');
      expect(rerun.exitCode, `the rerun ended before its kill -9:\n${rerun.output()}`).toBeNull();
      rerun.kill('SIGKILL');
      await withTimeout(rerun.exited, 10_000, 'the second kill -9');
    } finally {
      if (rerun.exitCode === null) rerun.kill('SIGKILL');
    }

    const last = spawnDigest(['send', '--date', slot.date], env);
    const code = await withTimeout(last.exited, 120_000, 'the third digest send').finally(() => {
      if (last.exitCode === null) last.kill('SIGKILL');
    });
    expect(code, last.output()).toBe(0);
    step('done');

    const { unique, duplicates, byRecipient } = tally(sink);
    expect(unique, 'every reader got the edition').toBe(READERS);
    expect(duplicates, `duplicates within the stated bound ${BOUND}`).toBeLessThanOrEqual(BOUND);
    for (const [a, r] of byRecipient) {
      expect(r.count, a).toBeLessThanOrEqual(2);
      expect(r.ids.size, `${a}: a resend carries the same Message-ID`).toBe(1);
    }
    const edition = await database.db.selectFrom('editions').selectAll().executeTakeFirstOrThrow();
    expect(edition.status).toBe('sent');
    expect(await deliveryCounts(database.db, edition.id)).toMatchObject({ sent: READERS, failed: 0, queued: 0, retry: 0, sending: 0 });
    // Every journal was written back and deleted: the killed processes' by the next start, the last one's at its end.
    const journal = join(dataDir, JOURNAL_FOLDER);
    expect(existsSync(journal) ? readdirSync(journal) : []).toEqual([]);
    console.info(
      `PostgreSQL stopped after ${atHalt} messages; ${atKill - atHalt} more before kill -9; second kill -9 at ${atSecondKill}; ${duplicates} duplicate(s) (bound ${BOUND}); ${steps.join(', ')}`,
    );
  }, 300_000); // a bound, not a timing assert
});
