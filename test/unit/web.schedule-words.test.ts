import { describe, expect, it } from 'vitest';
import { describeSchedule } from '../../src/web/admin/schedule-words.js';

/** The admin says when editions go out in words, never as a raw cron expression. */
describe('describeSchedule', () => {
  it.each([
    ['0 6 * * *', 'UTC', 'at 06:00, every day, in UTC'],
    ['30 18 * * 1-5', 'Europe/Paris', 'at 18:30, Monday through Friday, in Europe/Paris'],
    ['0 6,18 * * *', 'UTC', 'at 06:00 and 18:00, every day, in UTC'],
    ['0 0 6 * * *', 'UTC', 'at 06:00, every day, in UTC'],
    ['0 7 * * 1', 'America/New_York', 'at 07:00, only on Monday, in America/New_York'],
    ['*/30 * * * *', 'UTC', 'every 30 minutes, every hour, every day, in UTC'],
  ])('%s in %s reads "%s"', (cron, tz, words) => {
    expect(describeSchedule(cron, tz)).toBe(words);
  });

  it('an evening schedule says the evening hour (never "morning")', () => {
    expect(describeSchedule('0 19 * * *', 'UTC')).toBe('at 19:00, every day, in UTC');
  });

  it('names the setting when it cannot read the expression', () => {
    expect(describeSchedule('not cron', 'UTC')).toBe('DIGEST_CRON "not cron" in UTC');
  });
});
