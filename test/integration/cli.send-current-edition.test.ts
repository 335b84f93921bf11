import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/config/index.js';
import { useCleanup } from '../helpers/cleanup.js';
import { runDigest } from '../helpers/cli.js';
import { ADMIN_TOKEN, testConfig } from '../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { seedReaders } from '../helpers/delivery.js';
import { startTestServer } from '../helpers/http.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';

/**
 * `digest send` with no --date, at the hours a newcomer tries it: in the evening today's 06:00
 * edition is past its cutoff (12:00), and the stories since belong to tomorrow's. Every entry point
 * that picks an edition by itself (top, preview, send, send --dry-run, the admin's Send now) must
 * pick the same one, and a dry run must say what the send then does, with the send's exit code.
 * The processes' clock is set with DIGEST_TEST_NOW (NODE_ENV=test; src/config/clock.ts).
 */
const SECRET = 'current-edition-secret-0123456789';
const READERS = 5;

/** Stories published during 2026-12-07 after 06:00: the window of the 2026-12-08 06:00 edition, none in 2026-12-07's. */
async function seedEvening(t: TestDatabase): Promise<void> {
  await t.db
    .insertInto('stories')
    .values(
      Array.from({ length: 4 }, (_, i) => ({
        url: `https://news.example.com/evening/${i}`,
        kind: i === 3 ? ('blog' as const) : ('story' as const),
        title: `Evening story ${i}`,
        summary: `Summary ${i}`,
        published_at: new Date(Date.parse('2026-12-07T19:00:00Z') - i * 3_600_000),
        votes: 50 - i,
      })),
    )
    .execute();
}

describe('digest send at any hour: the current edition, and a dry run that says what the send would do (postgres)', () => {
  const track = useCleanup();

  async function setUp() {
    const t = track(await createTestDatabase('postgres'));
    const sink = track(await startSmtpSink());
    const dataDir = mkdtempSync(join(tmpdir(), 'digest-current-'));
    track({ close: () => rmSync(dataDir, { recursive: true, force: true }) });
    await seedEvening(t);
    await seedReaders(t.db, READERS);
    const env = { DATABASE_URL: t.url!, SMTP_URL: sink.url, SECRET, DATA_DIR: dataDir, NODE_ENV: 'test' };
    const at = (now: string) => (args: string[]) => runDigest(args, { ...env, DIGEST_TEST_NOW: now }, { timeoutMs: 90_000 });
    return { t, sink, at };
  }

  async function editionRows(t: TestDatabase) {
    return (await t.db.selectFrom('editions').select(['date', 'slot', 'status']).orderBy('date').execute()).map(
      (r) => `${r.date} ${r.slot} ${r.status}`,
    );
  }

  it.each([
    ['2026-12-07T20:06:00Z', 'in the evening, past 12:00, tomorrow’s'],
    ['2026-12-07T23:00:00Z', 'at 23:00, tomorrow’s'],
    ['2026-12-08T05:59:00Z', 'at 05:59, the day’s own, a minute early'],
  ])('at %s every entry point picks 2026-12-08 06:00 (%s), and a plain send sends it to every reader', async (now) => {
    const { t, sink, at } = await setUp();
    const digest = at(now);
    const DATE = '2026-12-08';

    const top = await digest(['top', '--json']);
    expect(top.code, top.stderr).toBe(0);
    expect(JSON.parse(top.stdout)).toMatchObject({ date: DATE, slot: '06:00' });

    const preview = await digest(['preview']);
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stderr).toMatch(new RegExp(`^Edition ${DATE}: 4 stories`, 'm'));

    // The admin's Send now, on the same clock.
    const server = track(await startTestServer(t, testConfig({ SECRET }), { clock: fixedClock(now) }));
    const admin = await (await fetch(`${server.url}/admin/editions`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    expect(admin).toContain(`name="date" type="date" value="${DATE}"`);
    const stories = await (await fetch(`${server.url}/admin/stories`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    expect(stories).toContain('Evening story 0');

    const dry = await digest(['send', '--dry-run']);
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(
      new RegExp(
        `^${DATE} 06:00 \\(daily\\): a send sends it now, early \\(due ${DATE} 06:00 UTC\\); 3 stories, 1 blog post, ${READERS} readers would get it \\(dry run`,
      ),
    );
    expect(await editionRows(t)).toEqual([]);
    expect(sink.messages).toHaveLength(0);

    const sent = await digest(['send']);
    expect(sent.code, sent.stdout + sent.stderr).toBe(0);
    expect(sent.stdout).toContain(`${DATE} 06:00: rendered, ${READERS} deliveries created`);
    expect(sent.stdout).toContain(`${DATE} 06:00: ${READERS} sent, 0 failed`);
    expect(sink.messages.map((m) => m.to[0]).sort()).toHaveLength(READERS);
    expect(await editionRows(t)).toEqual([`${DATE} 06:00 sent`]);

    // Said by the dry run as by the send: already sent, nothing new, exit 0.
    const dryAgain = await digest(['send', '--dry-run']);
    expect(dryAgain.code).toBe(0);
    expect(dryAgain.stdout).toMatch(new RegExp(`^${DATE} 06:00 \\(daily\\): already sent; a send sends nothing new;`));
    const again = await digest(['send']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already sent; nothing new to send \(5 sent earlier\)/);
    expect(sink.messages).toHaveLength(READERS);
  });

  it('in the evening, a dry run of today’s edition says expired and then empty, with the exit codes the sends then have', async () => {
    const { t, sink, at } = await setUp();
    const digest = at('2026-12-07T20:06:00Z');
    const TODAY = '2026-12-07';

    const dry = await digest(['send', '--date', TODAY, '--dry-run']);
    expect(dry.stdout).toMatch(
      new RegExp(
        `^${TODAY} 06:00 \\(daily\\): expired: past its cutoff ${TODAY} 12:00 UTC \\(6 h after its send time\\); a send sends nothing \\(--late sends it anyway\\); no stories, no blog posts, ${READERS} readers on the list \\(dry run: nothing sent or written\\)`,
      ),
    );
    expect(dry.stderr).toMatch(new RegExp(`^digest: dry run: edition ${TODAY} 06:00 is past its cutoff and was not sent`));
    expect(dry.stderr).toMatch(/hint: .*--late/);
    expect(dry.code).toBe(3);
    expect(await editionRows(t)).toEqual([]);

    const real = await digest(['send', '--date', TODAY]);
    expect(real.code).toBe(3);
    expect(real.stdout).toMatch(new RegExp(`^${TODAY} 06:00: expired`));

    const dryLate = await digest(['send', '--date', TODAY, '--late', '--dry-run']);
    expect(dryLate.stdout).toMatch(
      new RegExp(
        `^${TODAY} 06:00 \\(daily\\): empty: no stories published in its window \\(2026-12-06 06:00 UTC – ${TODAY} 06:00 UTC\\); a send sends nothing;`,
      ),
    );
    expect(dryLate.stderr).toMatch(new RegExp(`^digest: dry run: edition ${TODAY} 06:00 has no stories in its window`));
    expect(dryLate.code).toBe(5);
    expect(await editionRows(t)).toEqual([`${TODAY} 06:00 expired`]);

    const late = await digest(['send', '--date', TODAY, '--late']);
    expect(late.code).toBe(5);
    expect(await editionRows(t)).toEqual([`${TODAY} 06:00 empty`]);
    expect(sink.messages).toHaveLength(0);
  });
});
