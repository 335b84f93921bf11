import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deliveryCounts } from '../../src/delivery/index.js';
import { emailHash } from '../../src/subscribers/index.js';
import { runDigest } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { seedReaders, seedStories, slotMinutesAgo } from '../helpers/delivery.js';
import { sendEnv, spawnDigest, tally, withTimeout } from '../helpers/send-process.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

/**
 * Every relay fault at once, in one realistic run of `digest send` (a real process, PostgreSQL, a
 * loopback SMTP server the test controls):
 * - 421 "service not available" for the first messages;
 * - 451 greylisting for some readers (the first time only, as greylisting does);
 * - 550 5.1.1 "no such user" for others (for good);
 * - the connection cut every K-th message after the relay has kept it, before its 250 (the sender
 *   cannot know: "uncertain");
 * - 2 s of latency on some readers' replies.
 * The edition still finishes: every deliverable reader has it, exactly once unless their message
 * was cut after DATA (then at most twice, the same Message-ID), the 550s are suppressed, and
 * `digest status` says so.
 */
const READERS = 60;
const FIRST_421 = 3;
const DROP_EVERY = 12;
const email = (i: number) => `r${String(i).padStart(4, '0')}@example.com`;
const GREYLISTED = new Set([5, 15, 25, 35, 45].map(email));
const UNKNOWN = new Set([9, 19, 29].map(email));
const SLOW = new Set([3, 13, 23].map(email));

interface StatusRow {
  id: number;
  status: string;
  queued: number;
  sending: number;
  sent: number;
  retry: number;
  failed: number;
  skipped: number;
  uncertain: number;
}

/** Reads `digest status`'s table the way an operator reads it: one line per edition. */
function parseStatus(stdout: string): { editions: StatusRow[]; retryQueue: number } {
  const editions: StatusRow[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^\s*(\d+) \d{4}-\d{2}-\d{2}\s+\S+\s+\S+\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/.exec(line);
    if (!m) continue;
    const n = m.slice(3).map(Number) as [number, number, number, number, number, number, number];
    editions.push({
      id: Number(m[1]),
      status: m[2]!,
      queued: n[0],
      sending: n[1],
      sent: n[2],
      retry: n[3],
      failed: n[4],
      skipped: n[5],
      uncertain: n[6],
    });
  }
  const retryQueue = Number(/^retry queue: (\d+)/m.exec(stdout)?.[1] ?? NaN);
  return { editions, retryQueue };
}

describe('faults in one realistic run (postgres, a real `digest send`)', () => {
  let t: TestDatabase | undefined;
  let sink: SmtpSink | undefined;
  let dataDir: string | undefined;
  afterAll(async () => {
    await sink?.close();
    await t?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('421s, greylisting, 550s, cut connections and slow replies: every deliverable reader once, 550s suppressed, status right', async () => {
    t = await createTestDatabase('postgres');
    const slot = slotMinutesAgo(5);
    await seedStories(t.db, slot.sendAt);
    await seedReaders(t.db, READERS);
    dataDir = mkdtempSync(join(tmpdir(), 'digest-faults-'));

    const greylisted = new Map<string, number>();
    const cut = new Set<string>();
    let refused421 = 0;
    sink = await startSmtpSink({
      onRecipient(address) {
        if (UNKNOWN.has(address)) return { code: 550, message: '5.1.1 <' + address + '>: no such user here' };
        if (GREYLISTED.has(address)) {
          const seen = greylisted.get(address) ?? 0;
          greylisted.set(address, seen + 1);
          if (seen === 0) return { code: 451, message: '4.7.1 greylisted, try again later' };
        }
        return undefined;
      },
      onData({ to }, n) {
        if (n <= FIRST_421) {
          refused421 += 1;
          return { code: 421, message: '4.3.2 service not available, closing transmission channel' };
        }
        // A reader's message is cut at most once: a second loss would (rightly) fail it.
        if (n % DROP_EVERY === 0 && !cut.has(to[0]!)) {
          cut.add(to[0]!);
          return 'keep-and-drop';
        }
        return undefined;
      },
      latencyMs: (address) => (SLOW.has(address) ? 2000 : 0),
    });

    const env = sendEnv(
      { databaseUrl: t.url!, smtpUrl: sink.url, dataDir, cron: slot.cron },
      {
        SMTP_MAX_CONNECTIONS: '2',
        WORKERS: '2',
        DELIVERY_BATCH: '20',
        DELIVERY_LEASE_SECONDS: '30',
        // Retries within a second or two, so the test is bounded by the faults, not by backoff.
        RETRY_BASE_SECONDS: '1',
        RETRY_MAX_ATTEMPTS: '6',
      },
    );
    const send = spawnDigest(['send', '--date', slot.date], env);
    const code = await withTimeout(send.exited, 120_000, 'digest send through the faults').finally(() => {
      if (send.exitCode === null) send.kill('SIGKILL');
    });
    expect(code, send.output()).toBe(0);

    // What the relay received, per reader.
    const deliverable = Array.from({ length: READERS }, (_, i) => email(i)).filter((a) => !UNKNOWN.has(a));
    const { byRecipient, duplicates } = tally(sink);
    for (const a of deliverable) expect(byRecipient.get(a)?.count ?? 0, `${a} got the edition`).toBeGreaterThanOrEqual(1);
    for (const a of UNKNOWN) expect(byRecipient.has(a), `${a} (550) got nothing`).toBe(false);
    for (const [a, r] of byRecipient) {
      expect(r.ids.size, `${a}: one Message-ID`).toBe(1);
      // Only a reader whose connection was cut after DATA may have it twice, and never more.
      expect(r.count, a).toBeLessThanOrEqual(cut.has(a) ? 2 : 1);
    }
    expect(duplicates).toBeLessThanOrEqual(cut.size);
    expect(refused421).toBe(FIRST_421);
    expect(cut.size).toBeGreaterThan(0);
    expect(
      [...greylisted.values()].every((n) => n >= 2),
      'each greylisted reader was refused, then tried again',
    ).toBe(true);
    expect(greylisted.size).toBe(GREYLISTED.size);

    // The 550s: suppressed, marked bounced, their deliveries failed.
    const suppressed = new Set((await t.db.selectFrom('suppressions').select('email_hash').execute()).map((r) => r.email_hash));
    for (const a of UNKNOWN) expect(suppressed.has(emailHash(a)), a).toBe(true);
    expect(await t.db.selectFrom('suppressions').select('reason').execute()).toHaveLength(UNKNOWN.size);
    const bounced = await t.db.selectFrom('subscribers').select('email').where('status', '=', 'bounced').orderBy('email').execute();
    expect(bounced.map((b) => b.email)).toEqual([...UNKNOWN].sort());

    const edition = await t.db.selectFrom('editions').selectAll().executeTakeFirstOrThrow();
    expect(edition.status).toBe('sent');
    const counts = await deliveryCounts(t.db, edition.id);
    expect(counts).toMatchObject({
      sent: deliverable.length,
      failed: UNKNOWN.size,
      queued: 0,
      sending: 0,
      retry: 0,
      skipped: 0,
      uncertain: cut.size,
    });

    // `digest status` says the same, as an operator reads it.
    const status = await runDigest(['status'], env);
    expect(status.code, status.stderr).toBe(0);
    const parsed = parseStatus(status.stdout);
    expect(parsed.editions, status.stdout).toEqual([
      {
        id: edition.id,
        status: 'sent',
        queued: 0,
        sending: 0,
        sent: deliverable.length,
        retry: 0,
        failed: UNKNOWN.size,
        skipped: 0,
        uncertain: cut.size,
      },
    ]);
    expect(parsed.retryQueue).toBe(0);
    // And `digest send`'s own summary line.
    expect(send.output()).toMatch(
      new RegExp(
        `${deliverable.length} sent, ${UNKNOWN.size} failed, 0 skipped, 0 retrying, 0 waiting, ${cut.size} resent after a lost reply`,
      ),
    );
    console.info(
      `faults: ${FIRST_421} × 421, ${GREYLISTED.size} greylisted, ${UNKNOWN.size} × 550, ${cut.size} cut after DATA (${duplicates} duplicate(s)), ${SLOW.size} slow`,
    );
  }, 240_000); // a bound, not a timing assert
});
