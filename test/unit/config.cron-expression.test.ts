import fc from 'fast-check';
import { validate } from 'node-cron';
import { describe, expect, it } from 'vitest';
import { cronProblem } from '../../src/config/cron-expression.js';
import { configProblems } from '../helpers/config.js';

/**
 * A mistyped DIGEST_CRON says which field is wrong and what it may hold, in our words; every
 * expression it accepts is one the scheduler (node-cron) runs.
 */
const FIELDS = [
  { name: 'second', min: 0, max: 59, range: '0–59' },
  { name: 'minute', min: 0, max: 59, range: '0–59' },
  { name: 'hour', min: 0, max: 23, range: '0–23' },
  { name: 'day of month', min: 1, max: 31, range: '1–31' },
  { name: 'month', min: 1, max: 12, range: '1–12 or jan–dec' },
  { name: 'day of week', min: 0, max: 7, range: '0–7 (0 and 7 are Sunday) or sun–sat' },
] as const;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

describe('what is wrong with a cron expression (cronProblem)', () => {
  it.each([
    ['0 25 * * *', 'hour must be 0–23, got 25'],
    ['60 6 * * *', 'minute must be 0–59, got 60'],
    ['60 0 6 * * *', 'second must be 0–59, got 60'],
    ['0 6 32 * *', 'day of month must be 1–31, got 32'],
    ['0 6 0 * *', 'day of month must be 1–31, got 0'],
    ['0 6 * 13 *', 'month must be 1–12 or jan–dec, got 13'],
    ['0 6 * * 8', 'day of week must be 0–7 (0 and 7 are Sunday) or sun–sat, got 8'],
    ['0 6 * foo *', 'month must be 1–12 or jan–dec, got "foo"'],
    ['0 6 * * funday', 'day of week must be 0–7 (0 and 7 are Sunday) or sun–sat, got "funday"'],
    ['0 six * * *', 'hour must be 0–23, got "six" (names are for months and days of the week)'],
    ['0 20-25 * * *', 'hour must be 0–23, got 25'],
    ['0 1,2,24 * * *', 'hour must be 0–23, got 24'],
    ['0 -1 * * *', 'hour must be 0–23, got -1'],
    ['*/0 6 * * *', 'minute step must be 1 or more, got 0'],
    ['*/x 6 * * *', 'minute step must be a whole number of 1 or more, got "x"'],
    ['5/15 6 * * *', 'minute "5/15": a step (/15) follows * or a range (*/15, 5-59/15)'],
    ['1,,2 6 * * *', 'minute has an empty entry in its list (two commas, or one at an end)'],
    ['0 ? * * *', 'hour: ? may only stand for the whole field, and only for day of month or day of week'],
    ['0 6 30 2 *', 'day of month 30 never comes in month 2: it would never run'],
    ['0 6 31 apr,jun *', 'day of month 31 never comes in month apr,jun: it would never run'],
    ['0 6 * *', 'it has 4 fields; it needs 5 (minute hour day-of-month month day-of-week) or 6 (second first)'],
    ['0 0 0 6 * * *', 'it has 7 fields; it needs 5 (minute hour day-of-month month day-of-week) or 6 (second first)'],
    ['0\t6 * * *', 'it holds "\\t", which no cron field uses (fields are separated by spaces)'],
    ['@often', '@often is not one of the shorthands (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)'],
  ])('%j: %s', (expression, problem) => {
    expect(cronProblem(expression)).toBe(problem);
    // The scheduler would not have run it either.
    expect(validate(expression)).toBe(false);
  });

  it.each(['0 6 L * *', '0 6 15W * *', '0 6 * * 5L', '0 6 * * 1#2'])(
    '%j: refuses L, W and # (the scheduler would fire with no edition planned for the day)',
    (expression) => {
      expect(cronProblem(expression)).toMatch(
        /^day of (month|week) ".+": L, W and # \(last day, nearest weekday, nth weekday\) are not supported/,
      );
    },
  );

  it.each([
    '0 6 * * *',
    '30 5 * * 1-5',
    '0 6 * * mon-fri',
    '0 6,18 * * *',
    '*/15 * * * *',
    '0 6 1,15 jan-jun/2 *',
    '0 22-2 * * *',
    '0 6 * * 7',
    '0 6 * * 5-7',
    '0 6 ? * MON',
    '0 6 * * monday',
    '0 0 6 * * *',
    '0  6  *  *  *',
    '@daily',
    '@WEEKLY',
    '0 6 29 2 *',
  ])('%j: accepted, as the scheduler accepts it', (expression) => {
    expect(cronProblem(expression)).toBeUndefined();
    expect(validate(expression)).toBe(true);
  });

  /** One field written in any form the grammar allows, with values in range. */
  function validField(i: number): fc.Arbitrary<string> {
    const f = FIELDS[i]!;
    // Days of month up to 28, so no day/month pair is impossible (29–31 are covered above).
    const max = f.name === 'day of month' ? 28 : f.max;
    const value = fc.integer({ min: f.min, max });
    const names = f.name === 'month' ? MONTHS : f.name === 'day of week' ? DAYS : undefined;
    const named = names ? fc.oneof(value.map(String), fc.constantFrom(...names)) : value.map(String);
    const entry = fc.oneof(
      named,
      fc.tuple(named, named).map(([a, b]) => `${a}-${b}`),
      fc.tuple(named, named, fc.integer({ min: 1, max: 30 })).map(([a, b, s]) => `${a}-${b}/${s}`),
      fc.integer({ min: 1, max: 30 }).map((s) => `*/${s}`),
    );
    return fc.oneof(
      fc.constant('*'),
      fc.array(entry, { minLength: 1, maxLength: 4 }).map((a) => a.join(',')),
    );
  }

  it('accepts every valid 5- or 6-field expression, and the scheduler runs each one it accepts', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.tuple(...FIELDS.map((_, i) => validField(i))), (withSeconds, fields) => {
        const expression = (withSeconds ? fields : fields.slice(1)).join(' ');
        expect(cronProblem(expression)).toBeUndefined();
        expect(validate(expression)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('names the field and its range when any one field is replaced by a number out of its range', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.tuple(...FIELDS.map((_, i) => validField(i))),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 0, max: 1000 }),
        (withSeconds, fields, field, n) => {
          const f = FIELDS[field]!;
          fc.pre(withSeconds || field > 0);
          fc.pre(n < f.min || n > f.max);
          const parts = [...fields];
          parts[field] = String(n);
          const expression = (withSeconds ? parts : parts.slice(1)).join(' ');
          expect(cronProblem(expression)).toBe(`${f.name} must be ${f.range}, got ${n}`);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('is the line start-up prints for DIGEST_CRON and FEED_CRON, in our words', () => {
    const lines = configProblems({
      SECRET: 'a-secret-of-enough-length',
      DATA_DIR: 'memory://',
      DIGEST_CRON: '0 25 * * *',
      FEED_CRON: '*/0 * * * *',
    });
    expect(lines).toEqual([
      'config: DIGEST_CRON "0 25 * * *" is not a cron expression: hour must be 0–23, got 25',
      'config: FEED_CRON "*/0 * * * *" is not a cron expression: minute step must be 1 or more, got 0',
    ]);
    expect(lines.join('\n')).not.toMatch(/invalid expression/);
  });
});
