import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  acceptedPerSecond,
  EMPTY_METER,
  initialRate,
  meterAccepted,
  onAccepted,
  onThrottled,
  quietSince,
  RATE_DEFAULTS,
  type RateOptions,
  type SendRate,
  takeSlot,
  throttleEnded,
} from '../../src/delivery/smtp/send-rate.js';

/** `n` accepted messages spread evenly over [from, from + ms). */
function acceptMany(s: SendRate, n: number, from: number, ms: number, o: RateOptions = RATE_DEFAULTS): SendRate {
  let out = s;
  for (let i = 0; i < n; i++) out = onAccepted(out, from + (i * ms) / n, o);
  return out;
}

describe('the accepted-rate meter', () => {
  it('reads what the relay accepted over the last second', () => {
    let m = EMPTY_METER;
    expect(acceptedPerSecond(m, 0, 1000)).toBeUndefined();
    for (let t = 0; t < 3000; t += 10) m = meterAccepted(m, t, 1000); // 100 a second for 3 s
    expect(acceptedPerSecond(m, 3000, 1000)).toBeCloseTo(100, -1);
    // Nothing more for two seconds: nothing accepted in the last second.
    expect(acceptedPerSecond(m, 5000, 1000)).toBe(0);
  });

  it('before a whole second has passed, spreads the count over the time since the first', () => {
    let m = EMPTY_METER;
    for (let t = 0; t < 100; t++) m = meterAccepted(m, t, 1000); // 100 in 100 ms
    expect(acceptedPerSecond(m, 100, 1000)).toBeCloseTo(1000, -1);
  });
});

describe('the AIMD send rate', () => {
  it('is not throttled and not paced until the relay throttles', () => {
    const s = acceptMany(initialRate(), 500, 0, 1000);
    expect(s.throttled).toBe(false);
    expect(s.rate).toBe(RATE_DEFAULTS.maxRate);
  });

  it('a throttle goes to 0.85 × what the relay accepted in the last second, however fast it was sent', () => {
    const s = onThrottled(acceptMany(initialRate(), 200, 0, 1000), 1000);
    expect(s.throttled).toBe(true);
    expect(s.since).toBe(1000);
    expect(s.rate).toBeCloseTo(0.85 * 200, -1);
    expect(s.refused).toBe(1);
  });

  it('throttling replies within a second of the last decrease are the same signal', () => {
    let s = onThrottled(acceptMany(initialRate(), 200, 0, 1000), 1000);
    const first = s.rate;
    for (let t = 1001; t < 2000; t += 50) s = onThrottled(s, t);
    expect(s.rate).toBe(first);
    expect(s.refused).toBe(21);
    s = onThrottled(s, 2000);
    expect(s.rate).toBeLessThan(first);
  });

  it('the first throttle before anything was accepted marks throttling, and paces from the first measure', () => {
    let s = onThrottled(initialRate(), 0);
    expect(s.throttled).toBe(true);
    expect(s.rate).toBe(RATE_DEFAULTS.maxRate);
    s = onThrottled(acceptMany(s, 50, 10, 500), 600);
    expect(s.rate).toBeLessThan(200);
  });

  it('each accepted message adds 1 msg/s while throttled: a relay capped at 100/s is climbed past by 100/s each second', () => {
    let s = onThrottled(acceptMany(initialRate(), 100, 0, 1000), 1000);
    const after = s.rate;
    s = acceptMany(s, 100, 1000, 1000);
    expect(s.rate).toBeCloseTo(after + 100, 5);
  });

  it('a relay that throttles one message in ten whatever the rate does not slow the send down', () => {
    // 700 msg/s offered, every tenth refused: the rate never falls below what the relay accepts.
    let s = acceptMany(initialRate(), 70, 0, 100);
    let lowest = Number.POSITIVE_INFINITY;
    for (let t = 100; t < 20_000; t += 10) {
      const sent = Math.min(7, Math.max(1, Math.round((s.throttled ? s.rate : 700) / 100)));
      for (let i = 0; i < sent; i++) s = (t / 10 + i) % 10 === 0 ? onThrottled(s, t) : onAccepted(s, t);
      if (t > 5000) lowest = Math.min(lowest, s.rate);
    }
    expect(lowest).toBeGreaterThan(0.5 * 630);
  });

  it('ends quietMs after the last throttling reply, and starts over unpaced', () => {
    const s = onThrottled(acceptMany(initialRate(), 100, 0, 1000), 1000);
    expect(quietSince(s, 1000 + RATE_DEFAULTS.quietMs - 1)).toBe(false);
    expect(quietSince(s, 1000 + RATE_DEFAULTS.quietMs)).toBe(true);
    const ended = throttleEnded(s);
    expect(ended).toMatchObject({ throttled: false, rate: RATE_DEFAULTS.maxRate, refused: 0, since: undefined });
  });

  const options = fc.record({
    minRate: fc.double({ min: 0.1, max: 50, noNaN: true }),
    span: fc.double({ min: 1, max: 10_000, noNaN: true }),
    decrease: fc.double({ min: 0.1, max: 0.95, noNaN: true }),
    increase: fc.double({ min: 0.01, max: 10, noNaN: true }),
  });
  const events = fc.array(fc.record({ throttle: fc.boolean(), gapMs: fc.integer({ min: 0, max: 3000 }) }), { maxLength: 300 });
  const optionsOf = (r: { minRate: number; span: number; decrease: number; increase: number }): RateOptions => ({
    ...RATE_DEFAULTS,
    minRate: r.minRate,
    maxRate: r.minRate + r.span,
    decrease: r.decrease,
    increase: r.increase,
  });

  it('property: the rate stays within [minRate, maxRate], whatever the replies', () => {
    fc.assert(
      fc.property(options, events, (r, es) => {
        const o = optionsOf(r);
        let s = initialRate(o);
        let t = 0;
        for (const e of es) {
          t += e.gapMs;
          s = e.throttle ? onThrottled(s, t, o) : onAccepted(s, t, o);
          if (s.rate < o.minRate || s.rate > o.maxRate) return false;
        }
        return true;
      }),
    );
  });

  it('property: a run of accepted messages while throttled never lowers the rate and raises it unless at the maximum', () => {
    fc.assert(
      fc.property(options, events, fc.integer({ min: 1, max: 200 }), (r, es, run) => {
        const o = optionsOf(r);
        let s = onThrottled(acceptMany(initialRate(o), 20, 0, 100, o), 100, o);
        let t = 100;
        for (const e of es) {
          t += e.gapMs;
          s = e.throttle ? onThrottled(s, t, o) : onAccepted(s, t, o);
        }
        const before = s.rate;
        const after = acceptMany(s, run, t, 1000, o);
        return after.rate >= before && (before >= o.maxRate || after.rate > before);
      }),
    );
  });

  it('property: a throttle outside the hold lowers the rate to at most decrease × what it was (or the minimum)', () => {
    fc.assert(
      fc.property(options, events, (r, es) => {
        const o = optionsOf(r);
        let s = onThrottled(acceptMany(initialRate(o), 20, 0, 100, o), 100, o);
        let t = 100;
        for (const e of es) {
          t += e.gapMs;
          s = e.throttle ? onThrottled(s, t, o) : onAccepted(s, t, o);
        }
        const at = t + o.holdMs;
        const after = onThrottled(s, at, o);
        return after.rate <= Math.max(o.minRate, o.decrease * s.rate) + 1e-9 && after.decreasedAt === at;
      }),
    );
  });
});

describe('takeSlot (the token bucket the connections share)', () => {
  it('lets a burst of 50 ms go at once, then spaces messages at the rate', () => {
    let fullAt = Number.NEGATIVE_INFINITY;
    const waits: number[] = [];
    for (let i = 0; i < 12; i++) {
      const slot = takeSlot(fullAt, 0, 100, 50); // 100 msg/s: one per 10 ms
      fullAt = slot.fullAt;
      waits.push(Math.round(slot.waitMs));
    }
    expect(waits).toEqual([0, 0, 0, 0, 0, 0, 10, 20, 30, 40, 50, 60]);
  });

  it('property: over any run of asks, no more go in a span than the rate allows plus the burst', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.5, max: 5000, noNaN: true }),
        fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 200 }),
        (rate, gaps) => {
          let fullAt = Number.NEGATIVE_INFINITY;
          let now = 0;
          const goes: number[] = [];
          for (const g of gaps) {
            now += g;
            const slot = takeSlot(fullAt, now, rate, 50);
            fullAt = slot.fullAt;
            goes.push(now + slot.waitMs);
          }
          const interval = 1000 / rate;
          const burst = Math.max(50, interval);
          // The k-th message after the first goes no earlier than the first + k intervals − the burst.
          return goes.every((at, k) => at >= goes[0]! + k * interval - burst - 1e-6);
        },
      ),
    );
  });
});
