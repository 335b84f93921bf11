import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/index.js';
import {
  addressDomain,
  claimDeliveries,
  createSender,
  deliveryCounts,
  deliveryMessageId,
  digestMessageSource,
} from '../../src/delivery/index.js';
import { replaySentJournals } from '../../src/delivery/sent-journal-replay.js';
import { JOURNAL_FOLDER, journalFileName } from '../../src/delivery/sent-journal.js';
import { dailySpecs, prepareEdition, runEdition } from '../../src/editions/index.js';
import { testConfig } from '../helpers/config.js';
import { ADMIN_URL, createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';
import { seedReaders, seedStories, slotMinutesAgo } from '../helpers/delivery.js';
import { capturingLogger } from '../helpers/log.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

/**
 * A process killed while the relay's 250s wait to be written as `sent` leaves them in its sent
 * journal (DATA_DIR/sent-journal); the next worker to start on that DATA_DIR writes them before it
 * claims anything, so those readers are not mailed a second time. The journal files here are
 * written as a killed process leaves them: named with the pid of a process that has exited, its
 * claims still `sending` with their lease run out, its last line cut short.
 */
const READERS = 20;
/** A token no process of this run has (any 12 hex digits: the pid decides whether the owner lives). */
const OTHER_TOKEN = 'a1b2c3d4e5f6';
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

describe.each(ENGINES)('the sent journal on %s', (engine) => {
  let t: TestDatabase | undefined;
  let sink: SmtpSink | undefined;
  let dataDir: string | undefined;
  afterEach(async () => {
    await sink?.close();
    await t?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    sink = t = dataDir = undefined;
  });

  async function setup() {
    t = await createTestDatabase(engine, { poolSize: 2 });
    sink = await startSmtpSink();
    dataDir = mkdtempSync(join(tmpdir(), 'digest-journal-'));
    const slot = slotMinutesAgo(5);
    const config = testConfig({ SMTP_URL: sink.url, DIGEST_CRON: slot.cron, DATA_DIR: dataDir });
    await seedStories(t.db, slot.sendAt);
    await seedReaders(t.db, READERS);
    const { log, lines } = capturingLogger();
    const { edition } = await prepareEdition({ db: t.db, config, log }, dailySpecs(config, slot.date)[0]!, { now: new Date() });
    return { db: t.db, config, edition, log, lines };
  }

  /** What a process killed mid-send leaves: `claimed` rows `sending` with their lease run out. */
  async function killedProcessClaims(db: TestDatabase['db'], editionId: number, claimed: number) {
    const { claimed: rows } = await claimDeliveries(db, [editionId], claimed, 120);
    await sql`UPDATE deliveries SET lease_until = now() - interval '1 second', next_attempt_at = now() - interval '1 second'
               WHERE status = 'sending'`.execute(db);
    return rows;
  }

  function journalLine(config: Config, id: number, editionId: number, installId = config.installId): string {
    return `${id} ${deliveryMessageId(id, editionId, addressDomain(config.mailFrom), installId)}\n`;
  }

  function writeJournal(name: string, text: string): string {
    const dir = join(dataDir!, JOURNAL_FOLDER);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  }

  it("marks a killed process's accepted messages sent before the first claim: those readers are not mailed again", async () => {
    const { db, config, edition, log, lines } = await setup();
    const claims = await killedProcessClaims(db, edition.id, 8);
    // The relay said 250 to the first five; the sixth's line was being written when the process died;
    // the seventh names another install (another database once used this DATA_DIR): never replayed.
    const [accepted, cut, foreign] = [claims.slice(0, 5), claims[5]!, claims[6]!];
    const file = writeJournal(
      journalFileName(deadPid(), OTHER_TOKEN, 1),
      accepted.map((d) => journalLine(config, d.id, edition.id)).join('') +
        journalLine(config, foreign.id, edition.id, 'fedcba9876543210') +
        journalLine(config, cut.id, edition.id).slice(0, 20),
    );

    const sender = createSender({ url: config.smtp.url!, from: config.mailFrom, maxConnections: 2 });
    try {
      const counts = await runEdition({ db, config, log, sender, messages: digestMessageSource(db, config) }, edition, {
        workers: 2,
        workerOptions: { idleMs: 50, batchSize: 5 },
      });
      expect(counts).toMatchObject({ sent: READERS, queued: 0, sending: 0, retry: 0, failed: 0 });
    } finally {
      await sender.close();
    }

    const mailed = sink!.messages.map((m) => m.to[0]);
    expect(mailed).toHaveLength(READERS - accepted.length);
    expect(new Set(mailed).size).toBe(mailed.length);
    for (const d of accepted) expect(mailed).not.toContain(d.email);
    // The cut-short line and the other install's are sent (once): at worst a duplicate, never a reader missed.
    expect(mailed).toContain(cut.email);
    expect(mailed).toContain(foreign.email);
    const rows = await db
      .selectFrom('deliveries')
      .select(['id', 'status', 'message_id'])
      .where(
        'id',
        'in',
        accepted.map((d) => d.id),
      )
      .execute();
    for (const r of rows)
      expect(r).toEqual({
        id: r.id,
        status: 'sent',
        message_id: deliveryMessageId(r.id, edition.id, addressDomain(config.mailFrom), config.installId),
      });
    expect(existsSync(file), "the dead process's file is deleted once replayed").toBe(false);
    expect(lines.filter((l) => l.event === 'delivery.journal_replayed')).toMatchObject([{ files: 1, marks: 5, marked: 5, deleted: 1 }]);
    expect(lines.filter((l) => l.event === 'delivery.journal_cut_short')).toHaveLength(1);
    expect(lines.filter((l) => l.event === 'delivery.journal_other_install')).toMatchObject([{ lines: 1 }]);
    // The send's own journal is gone too: every mark was stored.
    expect(readdirSync(join(dataDir!, JOURNAL_FOLDER))).toEqual([]);
  });

  it("replays a live process's file without deleting it, and a second replay changes nothing", async () => {
    const { db, config, edition, log } = await setup();
    const claims = await killedProcessClaims(db, edition.id, 3);
    // The parent of this test process is alive: its file may still be written to.
    const file = writeJournal(
      journalFileName(process.ppid, OTHER_TOKEN, 1),
      claims.map((d) => journalLine(config, d.id, edition.id)).join(''),
    );
    expect(await replaySentJournals(db, config, log)).toEqual({ files: 1, marks: 3, marked: 3, deleted: 0 });
    expect(existsSync(file)).toBe(true);
    const sentAt = await db.selectFrom('deliveries').select(['id', 'sent_at']).where('status', '=', 'sent').orderBy('id').execute();
    expect(sentAt).toHaveLength(3);
    expect(await replaySentJournals(db, config, log)).toEqual({ files: 1, marks: 3, marked: 0, deleted: 0 });
    expect(await db.selectFrom('deliveries').select(['id', 'sent_at']).where('status', '=', 'sent').orderBy('id').execute()).toEqual(
      sentAt,
    );
    expect(await deliveryCounts(db, edition.id)).toMatchObject({ sent: 3, queued: READERS - 3, sending: 0 });
  });

  it.runIf(engine === 'postgres')('waits while the database refuses connections, then writes the marks and deletes the file', async () => {
    const { db, config, edition, log, lines } = await setup();
    const claims = await killedProcessClaims(db, edition.id, 4);
    const file = writeJournal(
      journalFileName(deadPid(), OTHER_TOKEN, 1),
      claims.map((d) => journalLine(config, d.id, edition.id)).join(''),
    );
    const name = new URL(t!.url!).pathname.slice(1);
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    try {
      // The database goes away for this test's connections: new ones refused, open ones ended.
      await admin.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      let settled = false;
      const replay = replaySentJournals(db, config, log, { retryMs: 100 }).finally(() => (settled = true));
      await new Promise((r) => setTimeout(r, 1500));
      expect(settled, 'the replay gave up while the database was away').toBe(false);
      expect(existsSync(file)).toBe(true);
      expect(lines.filter((l) => l.event === 'delivery.journal_replay_waiting')).toHaveLength(1);
      await admin.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS true`);
      expect(await replay).toEqual({ files: 1, marks: 4, marked: 4, deleted: 1 });
    } finally {
      await admin.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    expect(existsSync(file)).toBe(false);
    expect(await deliveryCounts(db, edition.id)).toMatchObject({ sent: 4, sending: 0 });
  });
});
