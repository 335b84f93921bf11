import { describe, expect, it } from 'vitest';
import { loadLocale } from '../../src/config/index.js';
import { usualSendTime } from '../../src/web/pages/send-time.js';

/** "07:00, as usual (Europe/Paris)": the schedule's time, in the reader's zone, never a guessed "morning". */
const en = loadLocale('en');
const config = (cron: string, timeZone = 'UTC') => ({ digest: { cron, timeZone } as never, locale: en });
const NOW = new Date('2026-11-30T03:00:00Z');

describe('usualSendTime', () => {
  it('shows the schedule time in the reader zone', () => {
    expect(usualSendTime(config('0 6 * * *'), 'Europe/Paris', NOW)).toMatchObject({ time: '07:00', zone: 'Europe/Paris' });
    expect(usualSendTime(config('0 6 * * *'), null, NOW)).toMatchObject({ time: '06:00', zone: 'UTC' });
    expect(usualSendTime(config('30 6 * * *'), 'Asia/Kolkata', NOW)).toMatchObject({ time: '12:00', zone: 'Asia/Kolkata' });
  });

  it('is truthful about an evening schedule and about more than one send a day', () => {
    expect(usualSendTime(config('0 18 * * *', 'America/New_York'), null, NOW)?.time).toBe('18:00');
    expect(usualSendTime(config('0 6,18 * * *'), 'Europe/Paris', NOW)?.time).toBe('07:00 and 19:00');
  });

  it('takes daylight saving as it will be on the next send day', () => {
    // Europe/Paris is UTC+2 in summer.
    expect(usualSendTime(config('0 6 * * *'), 'Europe/Paris', new Date('2026-07-01T03:00:00Z'))?.time).toBe('08:00');
  });

  it('finds a weekday-only schedule from a weekend, and says nothing when the schedule sends nothing this week', () => {
    const saturday = new Date('2026-11-28T12:00:00Z');
    expect(usualSendTime(config('0 6 * * 1-5'), null, saturday)?.sendAt[0]?.toISOString()).toBe('2026-11-30T06:00:00.000Z');
    expect(usualSendTime(config('0 6 1 1 *'), null, NOW)).toBeUndefined();
  });
});
