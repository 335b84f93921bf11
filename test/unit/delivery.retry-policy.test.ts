import { describe, expect, it } from 'vitest';
import { nextRetry } from '../../src/delivery/index.js';

const now = new Date('2026-11-20T06:00:00Z');
const policy = { baseSeconds: 60, maxAttempts: 6 };

describe('retry backoff', () => {
  it.each([
    // attempts made, random, expected delay in seconds
    [1, 0, 30],
    [1, 0.999999, 60],
    [2, 0, 60],
    [3, 0.5, 180],
    [5, 0, 480],
  ])('after attempt %i with jitter %f waits %i s', (attempts, random, seconds) => {
    const d = nextRetry(policy, attempts, now, random);
    expect(d.retry).toBe(true);
    if (d.retry) expect(Math.round((d.at.getTime() - now.getTime()) / 1000)).toBe(seconds);
  });

  it('equal jitter: every delay lies in [d/2, d), spread uniformly (a batch failing together comes back spread out)', () => {
    const d = 240; // attempt 3: 60 × 2²
    const delays = Array.from({ length: 1000 }, (_, i) => {
      const r = nextRetry(policy, 3, now, i / 1000);
      if (!r.retry) throw new Error('expected a retry');
      return (r.at.getTime() - now.getTime()) / 1000;
    });
    for (const s of delays) {
      expect(s).toBeGreaterThanOrEqual(d / 2);
      expect(s).toBeLessThan(d);
    }
    // Uniform: each quarter of [d/2, d) gets a quarter of the draws.
    for (let q = 0; q < 4; q++) {
      const lo = d / 2 + (q * d) / 8;
      expect(delays.filter((s) => s >= lo && s < lo + d / 8)).toHaveLength(250);
    }
  });

  it('gives up after the last attempt', () => {
    expect(nextRetry(policy, 6, now, 0)).toEqual({ retry: false, why: 'attempts' });
  });

  it('never schedules a retry past the cutoff', () => {
    expect(nextRetry({ ...policy, giveUpAt: new Date(now.getTime() + 10_000) }, 1, now, 0)).toEqual({ retry: false, why: 'cutoff' });
  });

  it('caps a single delay at an hour, so a digest is given up within hours', () => {
    const d = nextRetry({ baseSeconds: 600, maxAttempts: 20 }, 10, now, 0.999999);
    if (!d.retry) throw new Error('expected a retry');
    expect(d.at.getTime() - now.getTime()).toBeLessThanOrEqual(3_600_000);
    let total = 0;
    for (let a = 1; a < policy.maxAttempts; a++) {
      const r = nextRetry(policy, a, now, 0.999999);
      if (r.retry) total += r.at.getTime() - now.getTime();
    }
    expect(total).toBeLessThan(2 * 3_600_000);
  });
});
