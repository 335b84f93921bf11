import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { runDigest } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { seedReaders } from '../helpers/delivery.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

/**
 * `digest send` as an operator runs it, at any hour, for every way an edition can end up unsent: each
 * gets its own exit code and one line that says why and what to do (README "Exit codes"). Dates are
 * fixed in the past or far in the future, so what is expired and what is early does not depend on
 * the hour the suite runs.
 */
const PAST = '2026-01-05';
const FUTURE = '2031-06-02';

async function seedDay(t: TestDatabase, date: string, n: number, options: { summary?: string } = {}): Promise<void> {
  const end = Date.parse(`${date}T06:00:00Z`);
  await t.db
    .insertInto('stories')
    .values(
      Array.from({ length: n }, (_, i) => ({
        url: `https://news.example.com/${date}/${i}`,
        kind: i % 4 === 3 ? ('blog' as const) : ('story' as const),
        title: `Story ${i} of ${date}`,
        summary: options.summary ?? `Summary ${i}`,
        published_at: new Date(end - (i + 1) * 600_000),
        votes: 100 - i,
      })),
    )
    .execute();
}

describe('digest send: the lifecycle and its exit codes (postgres)', () => {
  const track = useCleanup();
  let t: TestDatabase | undefined;
  let sink: SmtpSink | undefined;

  async function setUp(sinkOptions: Parameters<typeof startSmtpSink>[0] = {}) {
    t = track(await createTestDatabase('postgres'));
    sink = track(await startSmtpSink(sinkOptions));
    const dataDir = mkdtempSync(join(tmpdir(), 'digest-cli-'));
    track({ close: () => rmSync(dataDir, { recursive: true, force: true }) });
    const env = { DATABASE_URL: t.url!, SMTP_URL: sink.url, SECRET: 'test-secret-0123456789abcdef', DATA_DIR: dataDir };
    return (args: string[], extra: Record<string, string> = {}) => runDigest(args, { ...env, ...extra }, { timeoutMs: 90_000 });
  }

  async function expectNobodySuppressed(readers: number) {
    expect(await t!.db.selectFrom('suppressions').selectAll().execute()).toEqual([]);
    const statuses = await t!.db.selectFrom('subscribers').select('status').execute();
    expect(statuses).toHaveLength(readers);
    for (const s of statuses) expect(s.status).not.toBe('bounced');
    expect(await t!.db.selectFrom('subscriber_events').selectAll().where('type', '=', 'bounced').execute()).toEqual([]);
  }

  it('expired: exits 3 naming --late and sends nothing; --late sends it once, on purpose', async () => {
    const digest = await setUp();
    await seedDay(t!, PAST, 4);
    await seedReaders(t!.db, 6);

    const plain = await digest(['send', '--date', PAST]);
    expect(plain.code).toBe(3);
    const status = await digest(['status']);
    expect(status.stdout).toMatch(new RegExp(`${PAST} 06:00 expired: not sent by itself; digest send --date ${PAST} --late`));
    expect(plain.stdout).toMatch(new RegExp(`${PAST} 06:00: expired`));
    expect(plain.stderr).toMatch(/past its cutoff and was not sent/);
    expect(plain.stderr).toMatch(/--late/);
    expect(sink!.messages).toHaveLength(0);

    const late = await digest(['send', '--date', PAST, '--late']);
    expect(late.stderr).not.toMatch(/digest:/);
    expect(late.code).toBe(0);
    expect(late.stdout).toMatch(/6 sent, 0 failed/);
    expect(sink!.messages.map((m) => m.to[0]).sort()).toHaveLength(6);
    const row = await t!.db.selectFrom('editions').selectAll().where('date', '=', PAST).executeTakeFirstOrThrow();
    expect(row.sent_late).toBe(true);
    expect(row.status).toBe('sent');

    const again = await digest(['send', '--date', PAST, '--late']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already sent/);
    expect(sink!.messages).toHaveLength(6);
  });

  it('empty: exits 5 and says where stories come from; a story posted before the slot is then picked', async () => {
    const digest = await setUp();
    await seedReaders(t!.db, 3);
    const empty = await digest(['send', '--date', FUTURE]);
    expect(empty.code).toBe(5);
    expect(empty.stderr).toMatch(/no stories in its window/);
    expect(empty.stderr).toMatch(/digest stories import/);
    // Sent early and found empty, the edition stays open until its send time (edition-state.ts).
    await seedDay(t!, FUTURE, 2);
    const second = await digest(['send', '--date', FUTURE]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/3 sent, 0 failed/);
  });

  it('failed: exits 4 naming the cause and --retry; the same command keeps failing until the cause is fixed and --retry is given', async () => {
    const digest = await setUp();
    // 100 long teasers: over Gmail's clipping size, which preflight refuses (the only way story text fails an edition).
    await seedDay(t!, FUTURE, 100, { summary: 'A long teaser that goes on. '.repeat(12) });
    await seedReaders(t!.db, 2);
    const failed = await digest(['send', '--date', FUTURE], { TOP_STORIES: '100', TOP_BLOGS: '30' });
    expect(failed.code).toBe(4);
    expect(failed.stderr).toMatch(/html_too_large/);
    expect(failed.stderr).toMatch(/--retry/);

    const fixedNoRetry = await digest(['send', '--date', FUTURE]);
    expect(fixedNoRetry.code).toBe(4);
    expect(sink!.messages).toHaveLength(0);

    const retried = await digest(['send', '--date', FUTURE, '--retry']);
    expect(retried.code).toBe(0);
    expect(retried.stdout).toMatch(/2 sent, 0 failed/);
    const status = await digest(['status']);
    expect(status.stdout).toMatch(new RegExp(`${FUTURE}\\s+06:00\\s+daily\\s+sent`));
  });

  it('paused: exits 6 and points at Resume', async () => {
    const digest = await setUp();
    await seedDay(t!, FUTURE, 2);
    await seedReaders(t!.db, 2);
    await t!.db
      .insertInto('editions')
      .values({
        date: FUTURE,
        slot: '06:00',
        status: 'paused',
        send_at: `${FUTURE}T06:00:00Z`,
        cutoff_at: `${FUTURE}T12:00:00Z`,
        window_start: `${FUTURE.slice(0, 8)}01T06:00:00Z`,
        window_end: `${FUTURE}T06:00:00Z`,
      })
      .execute();
    const paused = await digest(['send', '--date', FUTURE]);
    expect(paused.code).toBe(6);
    expect(paused.stderr).toMatch(/paused by an operator/);
    expect(paused.stderr).toMatch(/Resume/);
  });

  it('the relay refuses everything: exits 7, not 0', async () => {
    const digest = await setUp({ onRecipient: () => ({ code: 550, message: '5.7.1 Sender domain not allowed' }) });
    await seedDay(t!, FUTURE, 2);
    await seedReaders(t!.db, 3);
    const refused = await digest(['send', '--date', FUTURE]);
    expect(refused.stdout).toMatch(/0 sent, 3 failed/);
    expect(refused.code).toBe(7);
    expect(refused.stderr).toMatch(/relay refused every message/);
    // 5.7.1 is the relay's policy about our sender, the same for every reader: nobody is suppressed.
    await expectNobodySuppressed(3);
  });

  it('the relay refuses our MAIL FROM: exits 7, every delivery failed, no reader suppressed or bounced', async () => {
    const digest = await setUp({ onSender: () => ({ code: 553, message: '5.7.1 Sender address rejected' }) });
    await seedDay(t!, FUTURE, 2);
    await seedReaders(t!.db, 3);
    const refused = await digest(['send', '--date', FUTURE]);
    expect(refused.stdout).toMatch(/0 sent, 3 failed/);
    expect(refused.code).toBe(7);
    const errors = await t!.db.selectFrom('deliveries').select(['status', 'error']).execute();
    expect(errors).toHaveLength(3);
    for (const d of errors) {
      expect(d.status).toBe('failed');
      expect(d.error).toMatch(/MAIL FROM refused: 553 5\.7\.1 Sender address rejected/);
    }
    await expectNobodySuppressed(3);
  });

  it('a date that is not one: exits 2', async () => {
    const digest = await setUp();
    const bad = await digest(['send', '--date', '2026-02-30']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--date "2026-02-30" is not a date/);
  });
});
