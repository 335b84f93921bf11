import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConnectionBudget, nextRoundTrip, wantedConnections } from '../../src/delivery/smtp/connection-budget.js';

describe('wantedConnections', () => {
  it.each([
    ['before any reply: the minimum', undefined, 16, 2],
    ['loopback, 0.3 ms', 0.3, 16, 2],
    ['loopback under load, 0.9 ms', 0.9, 16, 4],
    ['a relay 5 ms away', 5, 64, 20],
    ['a relay 50 ms away: the cap', 50, 16, 16],
    ['a relay 50 ms away, the default cap', 50, 4, 4],
    ['a cap of one wins over the minimum', 50, 1, 1],
  ])('%s', (_name, roundTripMs, cap, expected) => {
    expect(wantedConnections({ roundTripMs, cap })).toBe(expected);
  });

  it('stays between the minimum and the cap, and never falls as the round trip grows', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 10_000, noNaN: true }),
        fc.double({ min: 0, max: 10_000, noNaN: true }),
        fc.integer({ min: 1, max: 500 }),
        (a, b, cap) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const wLo = wantedConnections({ roundTripMs: lo, cap });
          const wHi = wantedConnections({ roundTripMs: hi, cap });
          return wLo >= Math.min(2, cap) && wHi <= cap && wLo <= wHi;
        },
      ),
    );
  });
});

describe('nextRoundTrip', () => {
  it('takes the first sample, then moves a fifth of the way to each new one', () => {
    expect(nextRoundTrip(undefined, 40)).toBe(40);
    expect(nextRoundTrip(40, 90)).toBe(50);
  });
});

describe('ConnectionBudget', () => {
  it('grows with the measured round trip up to the cap', () => {
    const b = new ConnectionBudget({ cap: 16 });
    expect(b.target(0)).toBe(2);
    b.noteRoundTrip(50);
    expect(b.target(0)).toBe(16);
  });

  it('a refusal for too many connections caps the pool at those open, and gives one back a minute later', () => {
    const b = new ConnectionBudget({ cap: 16 });
    b.noteRoundTrip(50);
    b.noteTooManyConnections(3, 1000);
    expect(b.target(1000)).toBe(3);
    expect(b.cap).toBe(3);
    expect(b.target(60_999)).toBe(3);
    expect(b.target(61_000)).toBe(4);
    expect(b.target(121_000)).toBe(5);
  });

  it('a message refused for too many connections takes one connection off, once per burst, never below one; given back after 30 s', () => {
    const b = new ConnectionBudget({ cap: 16 });
    b.noteRoundTrip(50);
    b.noteConnectionPushback(8, 0);
    expect(b.target(0)).toBe(7);
    // Seven more from the other connections in the same second: one signal.
    for (let i = 0; i < 7; i++) b.noteConnectionPushback(8, 10 * i);
    expect(b.target(100)).toBe(7);
    for (let t = 1000; t <= 10_000; t += 1000) b.noteConnectionPushback(8, t);
    expect(b.ceiling(10_000)).toBe(1);
    expect(b.ceiling(39_999)).toBe(1);
    expect(b.ceiling(40_000)).toBe(2);
  });
});
