import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createLeaderLock, Scheduler } from '../../src/scheduler/index.js';
import { testConfig } from '../helpers/config.js';
import { capturingLogger } from '../helpers/log.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';
import { seedReaders, seedStories } from '../helpers/delivery.js';
import { openDatabase } from '../../src/db/index.js';

const SLOT = new Date('2026-11-20T06:00:00Z');
const at = (hoursAfterSlot: number) => new Date(SLOT.getTime() + hoursAfterSlot * 3_600_000);

describe.each(ENGINES)('scheduler on %s', (engine) => {
  let t: TestDatabase | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function setup() {
    t = await createTestDatabase(engine);
    await seedStories(t.db, SLOT);
    await seedReaders(t.db, 3);
    const config = testConfig({ DIGEST_CRON: '0 6 * * *', DIGEST_TZ: 'UTC', SEND_CUTOFF_HOURS: '6' });
    return { db: t.db, config };
  }

  it('catches up on a missed slot within the cutoff and says so in the log', async () => {
    const { db, config } = await setup();
    const { log, lines } = capturingLogger();
    const scheduler = new Scheduler({ db, engine, config, log });
    const result = await scheduler.tick(at(2));
    expect(result.leader).toBe(true);
    expect(result.editions).toEqual([{ date: '2026-11-20', slot: '06:00', outcome: 'created', late: true }]);
    expect(lines.some((l) => l.event === 'edition.catch_up')).toBe(true);
    const edition = await db.selectFrom('editions').selectAll().executeTakeFirstOrThrow();
    expect(edition.status).toBe('sending');
    // A second tick finds it and does nothing new.
    expect((await scheduler.tick(at(2.1))).editions).toEqual([]);
  });

  it('never sends a slot missed past its cutoff; an edition started but not finished by then expires', async () => {
    const { db, config } = await setup();
    const { log, lines } = capturingLogger();
    const scheduler = new Scheduler({ db, engine, config, log });
    const late = await scheduler.tick(at(7));
    expect(late.editions).toEqual([]);
    expect(await db.selectFrom('editions').selectAll().execute()).toEqual([]);
    // A brand-new install missed nothing: the slot before its first edition is noted, not warned about.
    expect(lines.filter((l) => l.event === 'edition.expired')).toEqual([]);
    expect(lines.some((l) => l.event === 'edition.before_first')).toBe(true);
    // With an edition sent the day before, the same slot was missed, and the log says so.
    await db
      .insertInto('editions')
      .values({
        date: '2026-11-19',
        slot: '06:00',
        status: 'sent',
        send_at: at(-24),
        cutoff_at: at(-18),
        window_start: at(-48),
        window_end: at(-24),
      })
      .execute();
    const { log: log2, lines: lines2 } = capturingLogger();
    expect((await new Scheduler({ db, engine, config, log: log2 }).tick(at(7))).editions).toEqual([]);
    expect(lines2.filter((l) => l.event === 'edition.expired').map((l) => [l.level, l.slot])).toEqual([[40, '06:00']]);

    // An edition sending when its cutoff comes: its waiting deliveries are given up and it expires.
    await scheduler.tick(at(1));
    await scheduler.tick(at(6.5));
    const edition = await db.selectFrom('editions').selectAll().where('date', '=', '2026-11-20').executeTakeFirstOrThrow();
    expect(edition.status).toBe('expired');
    const d = await db.selectFrom('deliveries').select('status').execute();
    expect(d.map((x) => x.status)).toEqual(['failed', 'failed', 'failed']);
  });

  it('groups readers with their own send hour into hourly editions at their local hour', async () => {
    const { db, config } = await setup();
    await db
      .insertInto('subscribers')
      .values([
        { email: 'tokyo@example.com', status: 'active', timezone: 'Asia/Tokyo', send_hour: 15 }, // 06:00Z
        { email: 'london@example.com', status: 'active', timezone: 'Europe/London', send_hour: 6 }, // 06:00Z in November
        { email: 'ny@example.com', status: 'active', timezone: 'America/New_York', send_hour: 7 }, // 12:00Z
      ])
      .execute();
    const scheduler = new Scheduler({ db, engine, config, log: pino({ level: 'silent' }) });
    await scheduler.tick(at(0.5));
    const editions = await db.selectFrom('editions').select(['id', 'slot', 'kind']).orderBy('slot').execute();
    expect(editions.map((e) => [e.slot, e.kind])).toEqual([
      ['06:00', 'daily'],
      ['06:00Z', 'hourly'],
    ]);
    const hourly = editions.find((e) => e.kind === 'hourly')!;
    const readers = await db
      .selectFrom('deliveries as d')
      .innerJoin('subscribers as s', 's.id', 'd.subscriber_id')
      .select('s.email')
      .where('d.edition_id', '=', hourly.id)
      .orderBy('s.email')
      .execute();
    expect(readers.map((r) => r.email)).toEqual(['london@example.com', 'tokyo@example.com']);
    await scheduler.tick(at(6.2));
    const ny = await db.selectFrom('editions').selectAll().where('slot', '=', '12:00Z').executeTakeFirstOrThrow();
    expect(ny.kind).toBe('hourly');
  });

  it('gives weekly readers a weekly edition on their weekday only', async () => {
    const { db, config } = await setup();
    // 2026-11-20 is a Friday (5).
    await db
      .insertInto('subscribers')
      .values([
        { email: 'friday@example.com', status: 'active', frequency: 'weekly', weekday: 5 },
        { email: 'monday@example.com', status: 'active', frequency: 'weekly', weekday: 1 },
      ])
      .execute();
    const scheduler = new Scheduler({ db, engine, config, log: pino({ level: 'silent' }) });
    await scheduler.tick(at(0.5));
    const weekly = await db.selectFrom('editions').selectAll().where('kind', '=', 'weekly').executeTakeFirstOrThrow();
    expect(weekly.slot).toBe('weekly 06:00');
    expect(weekly.window_end.getTime() - weekly.window_start.getTime()).toBe(7 * 86_400_000);
    const readers = await db
      .selectFrom('deliveries as d')
      .innerJoin('subscribers as s', 's.id', 'd.subscriber_id')
      .select('s.email')
      .where('d.edition_id', '=', weekly.id)
      .execute();
    expect(readers.map((r) => r.email)).toEqual(['friday@example.com']);
    const daily = await db.selectFrom('editions').select('id').where('kind', '=', 'daily').executeTakeFirstOrThrow();
    const dailyReaders = await db.selectFrom('deliveries').select('id').where('edition_id', '=', daily.id).execute();
    expect(dailyReaders).toHaveLength(3);
  });
});

describe('scheduler leader lock (postgres)', () => {
  let t: TestDatabase | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('lets only one of two instances schedule at a time', async () => {
    t = await createTestDatabase('postgres');
    await seedStories(t.db, SLOT);
    await seedReaders(t.db, 2);
    const other = await openDatabase({ url: t.url!, poolSize: 2 });
    try {
      const config = testConfig({ DIGEST_CRON: '0 6 * * *' });
      const a = createLeaderLock(t.db, 'postgres');
      const b = new Scheduler({ db: other.db, engine: 'postgres', config, log: pino({ level: 'silent' }) });
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let started!: () => void;
      const isHeld = new Promise<void>((r) => (started = r));
      const holder = a.runIfLeader(async () => {
        started();
        await held;
      });
      await isHeld;
      expect(await b.tick(at(1))).toEqual({ leader: false, editions: [] });
      expect(await other.db.selectFrom('editions').selectAll().execute()).toEqual([]);
      release();
      expect((await holder).leader).toBe(true);
      const after = await b.tick(at(1));
      expect(after.leader).toBe(true);
      expect(after.editions).toHaveLength(1);
    } finally {
      await other.close();
    }
  });
});
