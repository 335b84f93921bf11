/**
 * The rate the bulk sender paces itself to while the relay throttles it (SES "454 Throttling failure:
 * Maximum sending rate exceeded", Gmail 4.7.28, "rate limit": relay-pushback.ts says which replies
 * these are). A rate limit says "go slower", not "go serial": the sender keeps its connections and
 * spaces its messages instead (send-pacer.ts holds the token bucket), by AIMD on messages per second:
 *
 * - **measure**: what the relay accepted over the last second (its 250 replies), the one number that
 *   a rate limit caps;
 * - **decrease multiplicatively**: a throttling reply takes the rate to `decrease` (0.85) × the lower
 *   of the rate and what the relay accepted in the last second, so one step lands under a relay's
 *   limit however far above it the sender was. Replies within `holdMs` (1 s, the period relays count
 *   rates over) of a decrease are the same signal: they were answers to messages sent before it;
 * - **increase additively**: each message the relay accepts adds `increase` (1) msg/s. While the
 *   relay caps what it accepts, that is a steady climb of its limit per second, back over it within
 *   the second after a decrease (a sawtooth just around the limit); when it does not cap (it
 *   throttles a share of the messages whatever the rate, or the rate is far under its limit), more
 *   accepted messages make a faster climb: the sender probes upward as fast as the relay proves it
 *   can take. A relay that throttles one message in ten whatever the rate leaves the send near full
 *   speed (test/integration/delivery.throttled-relay.test.ts).
 *
 * Rejected: a climb of a fixed number of messages per second (the textbook AIMD), and a decrease at
 * every throttling reply: against a relay that throttles a share of the messages whatever the rate,
 * the decreases outweigh the climb at any rate, and the send sinks to the minimum.
 *
 * Throttling starts at the first such reply and ends `quietMs` (30 s) after the last one; the rate
 * never leaves [minRate, maxRate]. Pure: every function takes the state and the time (ms, any
 * monotonic clock) and returns the next state.
 */
export interface RateOptions {
  /** Never slower (msg/s). */
  readonly minRate: number;
  /** Never faster (msg/s). */
  readonly maxRate: number;
  /** A throttling reply takes the rate to this share of min(rate, accepted in the last second). */
  readonly decrease: number;
  /** msg/s added for each message the relay accepts while throttled. */
  readonly increase: number;
  /** Throttling replies closer than this to the last decrease are the same signal (ms). */
  readonly holdMs: number;
  /** Throttling ends this long after the last throttling reply (ms). */
  readonly quietMs: number;
  /** What the relay accepted is measured over this long (ms). */
  readonly windowMs: number;
}

export const RATE_DEFAULTS: RateOptions = {
  minRate: 1,
  maxRate: 100_000,
  decrease: 0.85,
  increase: 1,
  holdMs: 1000,
  quietMs: 30_000,
  windowMs: 1000,
};

/**
 * Messages the relay accepted, as a sliding window of `windowMs`: the count in the current window
 * and the one before it (weighted by how much of it the sliding window still covers).
 */
export interface AcceptedMeter {
  readonly windowStart: number;
  readonly current: number;
  readonly previous: number;
  /** The first message counted: before a whole window has passed, the rate is over what there is. */
  readonly firstAt: number | undefined;
}

export const EMPTY_METER: AcceptedMeter = { windowStart: 0, current: 0, previous: 0, firstAt: undefined };

function rolled(m: AcceptedMeter, now: number, windowMs: number): AcceptedMeter {
  if (m.firstAt === undefined) return m;
  const windows = Math.floor((now - m.windowStart) / windowMs);
  if (windows <= 0) return m;
  return {
    windowStart: m.windowStart + windows * windowMs,
    current: 0,
    previous: windows === 1 ? m.current : 0,
    firstAt: m.firstAt,
  };
}

export function meterAccepted(m: AcceptedMeter, now: number, windowMs: number): AcceptedMeter {
  if (m.firstAt === undefined) return { windowStart: now, current: 1, previous: 0, firstAt: now };
  const r = rolled(m, now, windowMs);
  return { ...r, current: r.current + 1 };
}

/**
 * Messages per second the relay accepted over the last `windowMs`; undefined before any. Younger
 * than a window, the count is spread over the time since the first (at least a tenth of a window,
 * so that the first two replies a millisecond apart do not read as thousands a second).
 */
export function acceptedPerSecond(m: AcceptedMeter, now: number, windowMs: number): number | undefined {
  if (m.firstAt === undefined) return undefined;
  const r = rolled(m, now, windowMs);
  const age = now - r.firstAt!;
  if (age < windowMs) return (r.current + r.previous) / (Math.max(age, windowMs / 100) / 1000);
  const through = Math.min(1, Math.max(0, (now - r.windowStart) / windowMs));
  return (r.previous * (1 - through) + r.current) / (windowMs / 1000);
}

export interface SendRate {
  /** Whether the relay is throttling us: from its first throttling reply to `quietMs` after its last. */
  readonly throttled: boolean;
  /** Messages per second to pace to while throttled (maxRate otherwise). */
  readonly rate: number;
  /** When throttling started (undefined while not throttled). */
  readonly since: number | undefined;
  readonly decreasedAt: number;
  readonly lastThrottleAt: number;
  /** The lowest rate since throttling started. */
  readonly lowest: number;
  /** Throttling replies since throttling started. */
  readonly refused: number;
  readonly meter: AcceptedMeter;
}

export function initialRate(o: RateOptions = RATE_DEFAULTS): SendRate {
  return {
    throttled: false,
    rate: o.maxRate,
    since: undefined,
    decreasedAt: Number.NEGATIVE_INFINITY,
    lastThrottleAt: Number.NEGATIVE_INFINITY,
    lowest: o.maxRate,
    refused: 0,
    meter: EMPTY_METER,
  };
}

const clamp = (v: number, o: RateOptions) => Math.min(o.maxRate, Math.max(o.minRate, v));

/** The relay accepted a message (250): measured, and while throttled the rate climbs by `increase`. */
export function onAccepted(s: SendRate, now: number, o: RateOptions = RATE_DEFAULTS): SendRate {
  const meter = meterAccepted(s.meter, now, o.windowMs);
  if (!s.throttled) return { ...s, meter };
  return { ...s, meter, rate: clamp(s.rate + o.increase, o) };
}

/**
 * The relay refused a message for our rate. Outside the hold after the last decrease, the rate goes
 * to `decrease` × the lower of the rate and what the relay accepted in the last second (with nothing
 * accepted yet: `decrease` × the rate, or the minimum when not throttled before).
 */
export function onThrottled(s: SendRate, now: number, o: RateOptions = RATE_DEFAULTS): SendRate {
  const refused = s.throttled ? s.refused + 1 : 1;
  const since = s.throttled ? s.since : now;
  if (s.throttled && now - s.decreasedAt < o.holdMs) return { ...s, refused, lastThrottleAt: now };
  const accepted = acceptedPerSecond(s.meter, now, o.windowMs);
  // Nothing accepted yet: no rate to go under. Throttled from now, paced from the first measure.
  if (accepted === undefined) return { ...s, throttled: true, since, refused, lastThrottleAt: now };
  const rate = clamp(Math.min(s.rate, accepted) * o.decrease, o);
  return {
    ...s,
    throttled: true,
    since,
    rate,
    refused,
    decreasedAt: now,
    lastThrottleAt: now,
    lowest: s.throttled ? Math.min(s.lowest, rate) : rate,
  };
}

/** Whether throttling is over by `now`: no throttling reply for `quietMs`. */
export function quietSince(s: SendRate, now: number, o: RateOptions = RATE_DEFAULTS): boolean {
  return s.throttled && now - s.lastThrottleAt >= o.quietMs;
}

/** Back to unpaced (after quietSince said so); what was measured is kept. */
export function throttleEnded(s: SendRate, o: RateOptions = RATE_DEFAULTS): SendRate {
  return { ...initialRate(o), meter: s.meter };
}

/**
 * The token bucket the connections share, as the time it is full again (GCRA, "virtual
 * scheduling"): a message may go `burstMs` ahead of the steady pace, so timers that fire late, and
 * connections that ask at once, do not lose the rate. Returns how long this message waits and the
 * bucket after it.
 */
export function takeSlot(fullAt: number, now: number, rate: number, burstMs: number): { readonly fullAt: number; readonly waitMs: number } {
  const interval = 1000 / rate;
  const goAt = Math.max(now, fullAt - Math.max(burstMs, interval));
  return { fullAt: Math.max(fullAt, now) + interval, waitMs: goAt - now };
}
