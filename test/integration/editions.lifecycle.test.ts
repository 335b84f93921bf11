import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/config/index.js';
import { deliveryCounts, failPastCutoff } from '../../src/delivery/index.js';
import { dailySpecs, expireEdition, prepareEdition, settleEditions } from '../../src/editions/index.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';
import { seedReaders, seedStories } from '../helpers/delivery.js';

/**
 * Every transition of the edition lifecycle (src/editions/edition-state.ts) that an operator or
 * the clock makes, on both engines, with "now" given, never read from the machine: so the same test
 * stands at 06:00, 12:01 and 23:00.
 */
const DATE = '2026-11-20';
const hour = (h: number) => new Date(Date.parse(`${DATE}T06:00:00Z`) + h * 3_600_000); // hours after the 06:00 slot

describe.each(ENGINES)('the edition lifecycle on %s', (engine) => {
  let t: TestDatabase | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  const config = testConfig({ DIGEST_CRON: '0 6 * * *', SEND_CUTOFF_HOURS: '6' });
  const spec = dailySpecs(config, DATE)[0]!;
  const prepare = (options: Parameters<typeof prepareEdition>[2], c = config) =>
    prepareEdition({ db: t!.db, config: c, log: silentLogger }, spec, options);
  const status = async () => await t!.db.selectFrom('editions').selectAll().where('date', '=', DATE).executeTakeFirstOrThrow();

  it('failed → retried: stays failed however often it is asked plainly, sends once the cause is fixed and a retry is asked for', async () => {
    t = await createTestDatabase(engine);
    await t.db
      .insertInto('stories')
      .values(
        Array.from({ length: 100 }, (_, i) => ({
          url: `https://n.example/${i}`,
          kind: 'story' as const,
          title: `Story ${i}`,
          summary: 'A long teaser that goes on. '.repeat(12),
          published_at: hour(-1 - i / 10),
          votes: i,
        })),
      )
      .execute();
    await seedReaders(t.db, 2);
    // The cause: a setting that makes the edition too large for Gmail (the size budget).
    const tooMany = testConfig({ DIGEST_CRON: '0 6 * * *', TOP_STORIES: '100' });
    expect((await prepare({ now: hour(0.1) }, tooMany)).outcome).toBe('failed');
    expect((await status()).error).toMatch(/preflight html_too_large/);
    expect((await prepare({ now: hour(0.2) })).outcome).toBe('failed');
    const retried = await prepare({ now: hour(0.3), retry: true });
    expect(retried.outcome).toBe('created');
    expect(retried.deliveriesCreated).toBe(2);
    expect((await status()).error).toBeNull();
    // Asked again, nothing is queued twice.
    expect((await prepare({ now: hour(0.4), retry: true })).outcome).toBe('resumed');
  });

  it('a failed edition retried past its cutoff expires unless the operator also sends it late', async () => {
    t = await createTestDatabase(engine);
    await t.db
      .insertInto('editions')
      .values({
        date: DATE,
        slot: '06:00',
        kind: 'daily',
        status: 'failed',
        error: 'render failed: x',
        send_at: spec.sendAt,
        cutoff_at: hour(6),
        window_start: spec.windowStart,
        window_end: spec.windowEnd,
      })
      .execute();
    await seedStories(t.db, spec.sendAt);
    await seedReaders(t.db, 1);
    expect((await prepare({ now: hour(17), retry: true })).outcome).toBe('expired');
    const late = await prepare({ now: hour(17.1), retry: true, late: true });
    expect(late.outcome).toBe('created');
    expect(late.edition.sent_late).toBe(true);
    expect(late.edition.cutoff_at.getTime()).toBe(hour(17.1 + 6).getTime());
  });

  it('expired → sent late: never by itself (catch-up, restart), only when the operator asks, with a new cutoff', async () => {
    t = await createTestDatabase(engine);
    await seedStories(t.db, spec.sendAt);
    await seedReaders(t.db, 3);
    // 23:00, seventeen hours after the slot: expired, and asking plainly again changes nothing.
    expect((await prepare({ now: hour(17) })).outcome).toBe('expired');
    expect((await prepare({ now: hour(17.5) })).outcome).toBe('expired');
    expect(await t.db.selectFrom('deliveries').selectAll().execute()).toEqual([]);
    const late = await prepare({ now: hour(18), late: true });
    expect(late.outcome).toBe('created');
    expect(late.deliveriesCreated).toBe(3);
    expect(late.edition).toMatchObject({ status: 'sending', sent_late: true });
    expect(late.edition.cutoff_at.getTime()).toBe(hour(24).getTime());
    // The housekeeping at 23:30 reads the new cutoff: the late edition is not expired again.
    await settleEditions(t.db, silentLogger, hour(18.5));
    expect((await status()).status).toBe('sending');
  });

  it('expired while sending → sent late: only the deliveries the cutoff gave up go back in the queue', async () => {
    t = await createTestDatabase(engine);
    await seedStories(t.db, spec.sendAt);
    const [first] = await seedReaders(t.db, 3);
    const started = await prepare({ now: hour(0.1) });
    expect(started.outcome).toBe('created');
    // One reader got it, one was refused by the relay for good; then the cutoff came.
    const rows = await t.db
      .selectFrom('deliveries')
      .select(['id', 'subscriber_id'])
      .where('edition_id', '=', started.edition.id)
      .orderBy('id')
      .execute();
    await t.db
      .updateTable('deliveries')
      .set({ status: 'sent', sent_at: hour(0.2) })
      .where('subscriber_id', '=', first!)
      .execute();
    await t.db.updateTable('deliveries').set({ status: 'failed', error: '550 5.1.1 no such user' }).where('id', '=', rows[1]!.id).execute();
    await settleEditions(t.db, silentLogger, hour(6.5));
    expect((await status()).status).toBe('expired');
    expect(await deliveryCounts(t.db, started.edition.id)).toMatchObject({ sent: 1, failed: 2 });

    const late = await prepare({ now: hour(8), late: true });
    expect(late.outcome).toBe('resumed');
    const after = await t.db
      .selectFrom('deliveries')
      .select(['id', 'status'])
      .where('edition_id', '=', started.edition.id)
      .orderBy('id')
      .execute();
    expect(after.map((d) => d.status)).toEqual(['sent', 'failed', 'retry']);
    expect(await status()).toMatchObject({ status: 'sending', sent_late: true });
  });

  it('paused and sent editions are left as they are by every request', async () => {
    t = await createTestDatabase(engine);
    await seedStories(t.db, spec.sendAt);
    await seedReaders(t.db, 1);
    const e = await prepare({ now: hour(0.1) });
    await t.db.updateTable('editions').set({ status: 'paused' }).where('id', '=', e.edition.id).execute();
    for (const options of [{ now: hour(1) }, { now: hour(1), retry: true }, { now: hour(1), late: true }]) {
      expect((await prepare(options)).outcome).toBe('paused');
    }
    // A pause does not stop the clock: past the cutoff it expires, what waited given up.
    await settleEditions(t.db, silentLogger, hour(7));
    expect((await status()).status).toBe('expired');
    expect(await failPastCutoff(t.db, e.edition.id)).toBe(0);
    expect(await expireEdition(t.db, e.edition.id, 'again')).toBe(false);
  });
});
