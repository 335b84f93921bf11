import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_METER,
  initialRate,
  meterOne,
  onAccepted,
  onThrottled,
  perSecond,
  quietSince,
  RATE_DEFAULTS,
  type RateOptions,
  type SendRate,
  type Bucket,
  takeToken,
  throttleEnded,
} from '../../src/delivery/smtp/send-rate.js';

/** `n` accepted messages spread evenly over [from, from + ms). */
function acceptMany(s: SendRate, n: number, from: number, ms: number, o: RateOptions = RATE_DEFAULTS): SendRate {
  let out = s;
  for (let i = 0; i < n; i++) out = onAccepted(out, from + (i * ms) / n, o);
  return out;
}

/** A second of 1,000 replies from `from`, one in `every` refused. */
function second(s0: SendRate, from: number, every: number): SendRate {
  let s = s0;
  for (let i = 0; i < 1000; i++) s = i % every === every - 1 ? onThrottled(s, from + i) : onAccepted(s, from + i);
  return s;
}

describe('the reply-rate meter', () => {
  it('reads the replies of the last second', () => {
    let m = EMPTY_METER;
    expect(perSecond(m, 0, 1000)).toBeUndefined();
    for (let t = 0; t < 3000; t += 10) m = meterOne(m, t, 1000); // 100 a second for 3 s
    expect(perSecond(m, 3000, 1000)).toBeCloseTo(100, -1);
    // Nothing more for two seconds: none in the last second.
    expect(perSecond(m, 5000, 1000)).toBe(0);
  });

  it('before a whole second has passed, spreads the count over the time since the first', () => {
    let m = EMPTY_METER;
    for (let t = 0; t < 100; t++) m = meterOne(m, t, 1000); // 100 in 100 ms
    expect(perSecond(m, 100, 1000)).toBeCloseTo(1000, -1);
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

  it('after a lull of our own, one refusal is no measure of the relay: down by a step from the rate, not to what it accepted', () => {
    let s = onThrottled(acceptMany(initialRate(), 1000, 0, 1000), 1000);
    s = acceptMany(s, 2000, 1000, 2000);
    const before = s.rate;
    // Nothing sent for three seconds (the database away), then a refusal.
    s = onThrottled(s, 6000);
    expect(s.decreasedAt).toBe(6000);
    expect(s.rate).toBeCloseTo(0.85 * before, 5);
  });

  it('waits for a second of replies, and a few refusals in it, before the first decrease: the first replies of a send measure nothing yet', () => {
    let s = onThrottled(initialRate(), 0);
    expect(s.throttled).toBe(true);
    expect(s.rate).toBe(RATE_DEFAULTS.maxRate);
    s = onThrottled(acceptMany(s, 50, 10, 500), 600);
    expect(s.rate).toBe(RATE_DEFAULTS.maxRate);
    for (let t = 610; t < 1100; t += 10) s = t % 100 === 0 ? onThrottled(s, t) : onAccepted(s, t);
    expect(s.rate).toBe(RATE_DEFAULTS.maxRate);
    s = onThrottled(s, 1100);
    expect(s.decreasedAt).toBe(1100);
    expect(s.rate).toBeLessThan(100);
  });

  it('throttling replies within a second of the last decrease are the same signal', () => {
    let s = onThrottled(acceptMany(initialRate(), 200, 0, 1000), 1000);
    const first = s.rate;
    // One refused in ten for the rest of the second.
    for (let t = 1010; t < 2000; t += 10) s = t % 100 === 0 ? onThrottled(s, t) : onAccepted(s, t);
    expect(s.refused).toBe(10);
    expect(s.decreasedAt).toBe(1000);
    expect(s.rate).toBeGreaterThan(first);
    s = onThrottled(s, 2000);
    expect(s.decreasedAt).toBe(2000);
  });

  it('more than half of the replies since the last decrease refused: down at once, within the hold, to under what the relay accepted', () => {
    let s = onThrottled(acceptMany(initialRate(), 1000, 0, 1000), 1000);
    expect(s.rate).toBeCloseTo(850, -1);
    for (let t = 1001; t <= 1010; t++) s = t === 1005 ? onAccepted(s, t) : onThrottled(s, t);
    expect(s.decreasedAt).toBeGreaterThan(1000);
    expect(s.rate).toBeLessThan(850);
  });

  it('holds the rate while the first replies after a decrease judge it, then climbs 1 msg/s per message accepted', () => {
    let s = onThrottled(acceptMany(initialRate(), 100, 0, 1000), 1000);
    const after = s.rate;
    s = acceptMany(s, RATE_DEFAULTS.evidence, 1000, 100);
    expect(s.rate).toBe(after);
    s = acceptMany(s, 100, 1100, 1000);
    expect(s.rate).toBeCloseTo(after + 100, 5);
  });

  it('a decrease that does not halve the share refused doubles the hold (up to 16 s); one that does halves it', () => {
    // One in ten refused whatever the rate: slowing down does not help.
    let s = second(acceptMany(initialRate(), 1000, 0, 1000), 1000, 10);
    expect(s.hold).toBe(1000);
    for (let t = 2000; t < 40_000; t += 1000) s = second(s, t, 10);
    expect(s.hold).toBe(RATE_DEFAULTS.maxHoldMs);
    // Then a relay that refuses nothing once the rate is down: the next decrease is judged to help.
    const last = s.decreasedAt;
    let t = 40_000;
    for (; s.decreasedAt === last; t++) s = t % 10 === 9 ? onThrottled(s, t) : onAccepted(s, t);
    s = acceptMany(s, 100, t, 100);
    s = onThrottled(s, s.decreasedAt + s.hold);
    expect(s.hold).toBe(RATE_DEFAULTS.maxHoldMs / 2);
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
    expect(ended).toMatchObject({
      throttled: false,
      rate: RATE_DEFAULTS.maxRate,
      refused: 0,
      since: undefined,
      hold: RATE_DEFAULTS.holdMs,
    });
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
  /** Throttled once a second's replies were measured, then `es`. */
  const replay = (o: RateOptions, es: readonly { throttle: boolean; gapMs: number }[]) => {
    let s = onThrottled(acceptMany(initialRate(o), 20, 0, 1000, o), 1000, o);
    let t = 1000;
    for (const e of es) {
      t += e.gapMs;
      s = e.throttle ? onThrottled(s, t, o) : onAccepted(s, t, o);
    }
    return { s, t };
  };

  it('property: the rate stays within [minRate, maxRate], and the hold within [holdMs, maxHoldMs], whatever the replies', () => {
    fc.assert(
      fc.property(options, events, (r, es) => {
        const o = optionsOf(r);
        let s = initialRate(o);
        let t = 0;
        for (const e of es) {
          t += e.gapMs;
          s = e.throttle ? onThrottled(s, t, o) : onAccepted(s, t, o);
          if (s.rate < o.minRate || s.rate > o.maxRate || s.hold < o.holdMs || s.hold > o.maxHoldMs) return false;
        }
        return true;
      }),
    );
  });

  it('property: a run of accepted messages while throttled never lowers the rate, and past the judging of the last decrease raises it unless at the maximum', () => {
    fc.assert(
      fc.property(options, events, fc.integer({ min: 1, max: 200 }), (r, es, run) => {
        const o = optionsOf(r);
        const { s, t } = replay(o, es);
        const before = s.rate;
        const after = acceptMany(s, run, Math.max(t, s.decreasedAt + o.holdMs / 2), 1000, o);
        return after.rate >= before && (before >= o.maxRate || after.rate > before);
      }),
    );
  });

  it('property: a throttle outside the hold lowers the rate to at most decrease × what it was (or the minimum)', () => {
    fc.assert(
      fc.property(options, events, (r, es) => {
        const o = optionsOf(r);
        const { s, t } = replay(o, es);
        const at = Math.max(t, s.decreasedAt + s.hold);
        const after = onThrottled(s, at, o);
        return after.rate <= Math.max(o.minRate, o.decrease * s.rate) + 1e-9 && after.decreasedAt === at;
      }),
    );
  });
});

describe('takeToken (the token bucket the connections share)', () => {
  it('lets a burst of 50 ms go at once, then one message per interval', () => {
    let bucket: Bucket | undefined;
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      const take = takeToken(bucket, 0, 100, 50); // 100 msg/s: one per 10 ms, 5 in the bucket
      bucket = take.bucket;
      waits.push(Math.round(take.waitMs));
    }
    expect(waits).toEqual([0, 0, 0, 0, 0, 10, 10]);
    expect(takeToken(bucket, 10, 100, 50).waitMs).toBe(0);
  });

  it('a rate that rose applies to the next ask at once: nothing owed from the slow rate', () => {
    let bucket = takeToken(undefined, 0, 1, 50).bucket; // 1 msg/s, the one token taken
    expect(takeToken(bucket, 10, 1, 50).waitMs).toBeCloseTo(990, 5);
    bucket = takeToken(bucket, 10, 1000, 50).bucket; // now 1,000 msg/s: 10 ms refill 10 tokens
    expect(takeToken(bucket, 11, 1000, 50).waitMs).toBe(0);
  });

  it('property: however messages ask and sleep, no more go in any span than the rate allows plus the bucket', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.5, max: 5000, noNaN: true }),
        fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 300 }),
        (rate, gaps) => {
          let bucket: Bucket | undefined;
          let now = 0;
          const goes: number[] = [];
          for (const g of gaps) {
            now += g;
            // Ask, and sleep as told until a token is taken.
            for (;;) {
              const take = takeToken(bucket, now, rate, 50);
              bucket = take.bucket;
              if (take.waitMs === 0) break;
              now += take.waitMs;
            }
            goes.push(now);
          }
          const capacity = Math.max(1, (rate * 50) / 1000);
          return goes.every((from, i) => goes.slice(i).every((to, k) => k + 1 <= capacity + ((to - from) * rate) / 1000 + 1e-6));
        },
      ),
    );
  });
});
