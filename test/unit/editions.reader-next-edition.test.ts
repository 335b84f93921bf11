import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dailySpecs, readerNextEdition, weekdayOf, type ReaderSchedule } from '../../src/editions/index.js';
import { localDate } from '../../src/ranking/index.js';
import { testConfig } from '../helpers/config.js';

const config = testConfig({ DIGEST_CRON: '0 6 * * *', DIGEST_TZ: 'Europe/London' });
const daily: ReaderSchedule = { frequency: 'daily', weekday: null, send_hour: null, timezone: null };
const hourOf = (at: Date, zone: string) =>
  Number(new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', hourCycle: 'h23' }).format(at));

describe('when a reader gets their next digest', () => {
  it('at 20:06 the usual reader gets tomorrow 06:00, at 05:59 today 06:00, at 06:00 exactly tomorrow', () => {
    expect(readerNextEdition(config, daily, new Date('2026-12-07T20:06:00Z'))).toEqual(new Date('2026-12-08T06:00:00Z'));
    expect(readerNextEdition(config, daily, new Date('2026-12-08T05:59:00Z'))).toEqual(new Date('2026-12-08T06:00:00Z'));
    expect(readerNextEdition(config, daily, new Date('2026-12-08T06:00:00Z'))).toEqual(new Date('2026-12-09T06:00:00Z'));
    // London in summer: 06:00 BST is 05:00 UTC.
    expect(readerNextEdition(config, daily, new Date('2026-07-01T23:00:00Z'))).toEqual(new Date('2026-07-02T05:00:00Z'));
  });

  it('a weekly reader gets their weekday’s edition, even when that is six days away', () => {
    // Tuesday 8 December 2026, 07:00: Monday's has gone, Tuesday's too; next Monday 14th.
    const monday = { ...daily, frequency: 'weekly', weekday: 1 } as const;
    expect(readerNextEdition(config, monday, new Date('2026-12-08T07:00:00Z'))).toEqual(new Date('2026-12-14T06:00:00Z'));
    const tuesday = { ...monday, weekday: 2 };
    expect(readerNextEdition(config, tuesday, new Date('2026-12-08T05:00:00Z'))).toEqual(new Date('2026-12-08T06:00:00Z'));
    expect(readerNextEdition(config, tuesday, new Date('2026-12-08T07:00:00Z'))).toEqual(new Date('2026-12-15T06:00:00Z'));
  });

  it('a reader with an hour of their own gets it at that hour in their zone', () => {
    const tokyo = { ...daily, send_hour: 7, timezone: 'Asia/Tokyo' };
    // 22:30 UTC on the 7th is 07:30 on the 8th in Tokyo: the next 07:00 there is the 9th's (22:00 UTC on the 8th).
    expect(readerNextEdition(config, tokyo, new Date('2026-12-07T22:30:00Z'))).toEqual(new Date('2026-12-08T22:00:00Z'));
    expect(readerNextEdition(config, tokyo, new Date('2026-12-07T21:59:00Z'))).toEqual(new Date('2026-12-07T22:00:00Z'));
  });

  it('is never undefined for a schedule that sends, and follows the reader’s rule (property)', () => {
    const zones = ['UTC', 'Europe/London', 'America/New_York', 'Asia/Kolkata', 'Pacific/Kiritimati', 'America/St_Johns'];
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-12-31T00:00:00Z'), noInvalidDate: true }),
        fc.constantFrom('daily', 'weekly') as fc.Arbitrary<'daily' | 'weekly'>,
        fc.option(fc.integer({ min: 0, max: 6 })),
        fc.option(fc.integer({ min: 0, max: 23 })),
        fc.constantFrom(...zones),
        (now, frequency, weekday, hour, zone) => {
          const reader: ReaderSchedule = { frequency, weekday, send_hour: frequency === 'daily' ? hour : null, timezone: zone };
          const at = readerNextEdition(config, reader, now);
          expect(at).toBeDefined();
          expect(at!.getTime()).toBeGreaterThan(now.getTime());
          expect(at!.getTime() - now.getTime()).toBeLessThanOrEqual(8 * 86_400_000);
          if (frequency === 'weekly') expect(weekdayOf(localDate(at!, 'Europe/London'))).toBe(weekday ?? 1);
          if (frequency === 'weekly' || hour === null) {
            const date = localDate(at!, 'Europe/London');
            expect(dailySpecs(config, date).map((s) => s.sendAt.getTime())).toContain(at!.getTime());
          } else if (hourOf(at!, zone) !== hour) {
            // Only a skipped hour (spring forward) moves it, by the gap.
            expect(Math.abs(hourOf(at!, zone) - hour)).toBeLessThanOrEqual(1);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
