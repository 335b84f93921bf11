import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { localDate, wallTime, zonedTimeToUtc } from '../../src/ranking/index.js';
import { editionWindow, editionWindows } from '../../src/editions/index.js';

describe('edition window', () => {
  it('covers the 24 h before the send time in the digest time zone', () => {
    const w = editionWindow('2026-11-26', '0 6 * * *', 'Asia/Amman');
    expect(w.slot).toBe('06:00');
    expect(w.sendAt.toISOString()).toBe('2026-11-26T03:00:00.000Z'); // Amman is UTC+3
    expect(w.start.toISOString()).toBe('2026-11-25T03:00:00.000Z');
    expect(w.end).toEqual(w.sendAt);
  });

  it('follows daylight saving time: 06:00 in New York is 11:00 UTC in winter, 10:00 in summer', () => {
    expect(editionWindow('2026-01-15', '0 6 * * *', 'America/New_York').sendAt.toISOString()).toBe('2026-01-15T11:00:00.000Z');
    expect(editionWindow('2026-07-15', '0 6 * * *', 'America/New_York').sendAt.toISOString()).toBe('2026-07-15T10:00:00.000Z');
  });

  it('resolves a slot inside the spring-forward gap to just after it', () => {
    // 02:30 does not exist in Europe/Berlin on 2026-03-29; clocks jump from 02:00 to 03:00.
    const w = editionWindow('2026-03-29', '30 2 * * *', 'Europe/Berlin');
    expect(wallTime(w.sendAt, 'Europe/Berlin').hour).toBe(3);
  });

  it('lists every slot of a schedule that sends twice a day, and none on a day it skips', () => {
    expect(editionWindows('2026-11-26', '0 6,18 * * *', 'UTC').map((w) => w.slot)).toEqual(['06:00', '18:00']);
    // 2026-11-28 is a Saturday.
    expect(editionWindows('2026-11-28', '0 6 * * 1-5', 'UTC')).toEqual([]);
    expect(() => editionWindow('2026-11-28', '0 6 * * 1-5', 'UTC')).toThrow(/no send slot on 2026-11-28/);
  });

  it('refuses a date that does not exist', () => {
    expect(() => editionWindow('2026-02-30', '0 6 * * *', 'UTC')).toThrow(/not a date/);
  });

  it('converts any wall time back to the same wall time (outside DST gaps)', () => {
    const zones = ['UTC', 'Europe/London', 'Asia/Amman', 'America/Los_Angeles', 'Asia/Kolkata', 'Australia/Lord_Howe'];
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }),
        fc.constantFrom(...zones),
        (instant, zone) => {
          const w = wallTime(instant, zone);
          const back = zonedTimeToUtc(w, w.hour, w.minute, zone);
          const again = wallTime(back, zone);
          expect([again.year, again.month, again.day, again.hour, again.minute]).toEqual([w.year, w.month, w.day, w.hour, w.minute]);
          expect(localDate(back, zone)).toBe(localDate(instant, zone));
        },
      ),
    );
  });
});
