import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { silentLogger, type Config } from '../../src/config/index.js';
import type { Db, Edition } from '../../src/db/index.js';
import { dailySpecs, prepareEdition } from '../../src/editions/index.js';
import { Scheduler } from '../../src/scheduler/index.js';
import { useCleanup } from '../helpers/cleanup.js';
import { testConfig } from '../helpers/config.js';
import { capturingLogger } from '../helpers/log.js';
import { createTestDatabase, ENGINES } from '../helpers/database.js';
import { seedReaders, seedStories, sendEdition } from '../helpers/delivery.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';

/**
 * Readers' own hours and the empty edition's lifecycle, with the scheduler's clock injected (tick(now))
 * and, where a mail is promised, a real SMTP relay on loopback.
 */

const minutes = (at: Date, n: number) => new Date(at.getTime() + n * 60_000);

async function readersOf(db: Db, editionId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('deliveries as d')
    .innerJoin('subscribers as s', 's.id', 'd.subscriber_id')
    .select('s.email')
    .where('d.edition_id', '=', editionId)
    .orderBy('s.email')
    .execute();
  return rows.map((r) => r.email);
}

describe.each(ENGINES)("readers' own hours and early empty editions on %s", (engine) => {
  const track = useCleanup();

  const sendNow = (db: Db, config: Config, edition: Edition, now: Date) =>
    sendEdition(db, config, edition, { now: now.getTime(), workerOptions: { idleMs: 50 } });

  it("a Tokyo reader's Monday 07:00 (Sunday 22:00 UTC) gets an hourly edition dated Monday, and the mail says Monday", async () => {
    const t = track(await createTestDatabase(engine));
    const sink = track(await startSmtpSink());
    const { db } = t;
    const config = testConfig({ SMTP_URL: sink.url, PUBLIC_URL: 'https://digest.example.com', DIGEST_CRON: '0 6 * * *', DIGEST_TZ: 'UTC' });
    const sendAt = new Date('2026-11-29T22:00:00Z'); // Sunday in UTC, Monday 07:00 in Tokyo
    await seedStories(db, sendAt);
    await db
      .insertInto('subscribers')
      .values([
        { email: 'tokyo@example.com', name: 'Kenji', status: 'active', timezone: 'Asia/Tokyo', send_hour: 7 },
        { email: 'daily@example.com', status: 'active' },
        { email: 'weekly@example.com', status: 'active', frequency: 'weekly', weekday: 1 },
      ])
      .execute();

    const scheduler = new Scheduler({ db, engine, config, log: pino({ level: 'silent' }) });
    const now = new Date(sendAt.getTime() + 30_000);
    const tick = await scheduler.tick(now);
    expect(tick.editions).toEqual([{ date: '2026-11-30', slot: '22:00Z-1d', outcome: 'created', late: false }]);
    const edition = await db.selectFrom('editions').selectAll().where('slot', '=', '22:00Z-1d').executeTakeFirstOrThrow();
    expect(edition).toMatchObject({ date: '2026-11-30', kind: 'hourly', status: 'sending', send_at: sendAt });
    expect(await readersOf(db, edition.id)).toEqual(['tokyo@example.com']);

    const counts = await sendNow(db, config, edition, now);
    expect(counts).toMatchObject({ sent: 1, failed: 0 });
    const [mail] = await sink.waitFor(1);
    expect(mail!.to).toEqual(['tokyo@example.com']);
    const text = mail!.parsed.text ?? '';
    const html = typeof mail!.parsed.html === 'string' ? mail!.parsed.html : '';
    // The date line under the site name, in both parts and the subject: Monday, never Sunday.
    expect(text.split('\n')[1]).toBe('Monday, 30 November 2026');
    expect(html).toContain('Monday, 30 November 2026');
    expect(mail!.parsed.subject).toContain('Mon 30 Nov');
    for (const part of [text, html, mail!.parsed.subject ?? '']) expect(part).not.toMatch(/Sunday|Sun 29|29 November/);
  });

  it('an hour a reader has just chosen, 30 minutes after it started, is started without a "missed" warning', async () => {
    const t = track(await createTestDatabase(engine));
    const { db } = t;
    // The DIGEST_CRON slot is in the evening, so only the reader's hour is due around 09:00.
    const config = testConfig({ DIGEST_CRON: '0 18 * * *', DIGEST_TZ: 'UTC', SEND_CUTOFF_HOURS: '6' });
    const hour = new Date('2026-11-20T09:00:00Z');
    await seedStories(db, hour);
    await seedReaders(db, 2);
    await db.insertInto('subscribers').values({ email: 'chooser@example.com', status: 'active' }).execute();

    const { log, lines } = capturingLogger();
    const scheduler = new Scheduler({ db, engine, config, log });
    // The scheduler ticks every minute; nothing is due.
    for (const m of [27.5, 28.5, 29.5]) expect((await scheduler.tick(minutes(hour, m))).editions).toEqual([]);
    // At 09:30 the reader chooses 09:00 (their zone is UTC): still well before its cutoff.
    await db.updateTable('subscribers').set({ send_hour: 9, timezone: 'UTC' }).where('email', '=', 'chooser@example.com').execute();
    const tick = await scheduler.tick(minutes(hour, 30.5));
    expect(tick.editions).toEqual([{ date: '2026-11-20', slot: '09:00Z', outcome: 'created', late: true }]);
    const edition = await db.selectFrom('editions').selectAll().where('slot', '=', '09:00Z').executeTakeFirstOrThrow();
    expect(edition.status).toBe('sending');
    expect(await readersOf(db, edition.id)).toEqual(['chooser@example.com']);

    expect(lines.filter((l) => l.event === 'edition.catch_up')).toEqual([]);
    expect(lines.filter((l) => l.event === 'edition.started_late').map((l) => [l.slot, l.level])).toEqual([['09:00Z', 30]]);
  });

  it('a scheduler whose first tick comes 30 minutes after a slot (it was down) does log it as missed', async () => {
    const t = track(await createTestDatabase(engine));
    const { db } = t;
    const config = testConfig({ DIGEST_CRON: '0 9 * * *', DIGEST_TZ: 'UTC', SEND_CUTOFF_HOURS: '6' });
    const slot = new Date('2026-11-20T09:00:00Z');
    await seedStories(db, slot);
    await seedReaders(db, 2);
    // A reader whose 09:00 was chosen long ago was missed just as much.
    await db.insertInto('subscribers').values({ email: 'own-hour@example.com', status: 'active', timezone: 'UTC', send_hour: 9 }).execute();

    const { log, lines } = capturingLogger();
    const scheduler = new Scheduler({ db, engine, config, log });
    const tick = await scheduler.tick(minutes(slot, 30.5));
    expect(tick.editions).toEqual([
      { date: '2026-11-20', slot: '09:00', outcome: 'created', late: true },
      { date: '2026-11-20', slot: '09:00Z', outcome: 'created', late: true },
    ]);
    expect(lines.filter((l) => l.event === 'edition.catch_up').map((l) => [l.slot, l.level])).toEqual([
      ['09:00', 40],
      ['09:00Z', 40],
    ]);
    expect(lines.filter((l) => l.event === 'edition.started_late')).toEqual([]);
  });

  it('an edition found empty before its send time stays open: a story posted before the slot is picked at it', async () => {
    const t = track(await createTestDatabase(engine));
    const { db } = t;
    const config = testConfig({ DIGEST_CRON: '0 6 * * *', DIGEST_TZ: 'UTC', EMPTY_DAY: 'skip' });
    await seedReaders(db, 2);
    const spec = dailySpecs(config, '2026-11-20')[0]!;

    // An early "Send now", two hours before the slot: nothing published yet.
    const early = await prepareEdition({ db, config, log: silentLogger }, spec, { now: minutes(spec.sendAt, -120) });
    expect(early.outcome).toBe('empty');
    expect(early.edition.status).toBe('empty');

    const story = await db
      .insertInto('stories')
      .values({
        url: 'https://news.example.com/late-breaking',
        kind: 'story',
        title: 'Late-breaking',
        summary: 'Posted an hour before the slot.',
        published_at: minutes(spec.sendAt, -60),
        votes: 5,
      })
      .returning('id')
      .executeTakeFirstOrThrow();

    const scheduler = new Scheduler({ db, engine, config, log: pino({ level: 'silent' }) });
    const tick = await scheduler.tick(new Date(spec.sendAt.getTime() + 30_000));
    expect(tick.editions).toEqual([{ date: '2026-11-20', slot: '06:00', outcome: 'created', late: false }]);
    const edition = await db.selectFrom('editions').selectAll().where('id', '=', early.edition.id).executeTakeFirstOrThrow();
    expect(edition).toMatchObject({ status: 'sending', story_ids: [story.id], error: null });
    expect(await readersOf(db, edition.id)).toEqual(['r0000@example.com', 'r0001@example.com']);
  });

  it('an edition found empty at its send time stays empty, even when a story arrives later', async () => {
    const t = track(await createTestDatabase(engine));
    const { db } = t;
    const config = testConfig({ DIGEST_CRON: '0 6 * * *', DIGEST_TZ: 'UTC', EMPTY_DAY: 'skip' });
    await seedReaders(db, 2);
    const spec = dailySpecs(config, '2026-11-20')[0]!;
    const scheduler = new Scheduler({ db, engine, config, log: pino({ level: 'silent' }) });

    const atSlot = await scheduler.tick(new Date(spec.sendAt.getTime() + 30_000));
    expect(atSlot.editions).toEqual([{ date: '2026-11-20', slot: '06:00', outcome: 'empty', late: false }]);

    // A story dated inside the window shows up afterwards (a feed that published late).
    await db
      .insertInto('stories')
      .values({
        url: 'https://news.example.com/too-late',
        kind: 'story',
        title: 'Too late',
        summary: 'Dated before the slot, arrived after it.',
        published_at: minutes(spec.sendAt, -30),
        votes: 5,
      })
      .execute();
    const again = await prepareEdition({ db, config, log: silentLogger }, spec, { now: minutes(spec.sendAt, 10) });
    expect(again.outcome).toBe('empty');
    expect((await scheduler.tick(minutes(spec.sendAt, 11))).editions).toEqual([]);
    const edition = await db.selectFrom('editions').selectAll().executeTakeFirstOrThrow();
    expect(edition).toMatchObject({ status: 'empty', story_ids: [] });
    expect(await db.selectFrom('deliveries').select('id').execute()).toEqual([]);
  });
});
