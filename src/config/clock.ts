import { ConfigError } from './config-error.js';

/**
 * "Now", from one place. Production reads the system clock; a test stands at 23:00 or on a past date
 * by passing another. Code that decides by the time (which edition is due, whether a cutoff has
 * passed, where the demo puts its stories) takes a Clock, never `new Date()` of its own.
 */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** A clock that always reads `at`. */
export function fixedClock(at: Date | string): Clock {
  const t = new Date(at).getTime();
  if (Number.isNaN(t)) throw new Error(`fixedClock: "${String(at)}" is not a time`);
  return () => new Date(t);
}

/** A clock that starts at `at` and runs at the real pace from then on (for tests that wait). */
export function shiftedClock(at: Date | string): Clock {
  const offset = new Date(at).getTime() - Date.now();
  return () => new Date(Date.now() + offset);
}

/**
 * The clock of a `digest` process (the CLI commands and serve). The system's; under test only
 * (NODE_ENV=test), DIGEST_TEST_NOW, an ISO 8601 time, starts it there and it runs on at the real
 * pace, so a test runs `digest send` at 20:06 or 05:59 as an operator would. Any other NODE_ENV
 * ignores it: production always reads the system clock. Not a setting (.env.example has no line for it).
 */
export function processClock(env: Readonly<Record<string, string | undefined>>): Clock {
  const at = env.DIGEST_TEST_NOW?.trim();
  if (!at || env.NODE_ENV?.trim() !== 'test') return systemClock;
  if (Number.isNaN(Date.parse(at))) {
    throw new ConfigError([
      { variable: 'DIGEST_TEST_NOW', message: `DIGEST_TEST_NOW "${at}" is not a time (ISO 8601, e.g. 2026-12-07T20:06:00Z)` },
    ]);
  }
  return shiftedClock(at);
}
