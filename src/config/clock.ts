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
