/**
 * The rate the bulk sender paces itself to while the relay throttles it (SES "454 Throttling failure:
 * Maximum sending rate exceeded", Gmail 4.7.28, "rate limit": relay-pushback.ts says which replies
 * these are). A rate limit says "go slower", not "go serial": the sender keeps its connections and
 * spaces its messages instead (send-pacer.ts holds the token bucket), by AIMD on messages per second:
 *
 * - **measure**: what the relay accepted over the last second (its 250 replies), the one number a
 *   rate limit caps. It is taken as the relay's limit only beside a few refusals (4 in the second):
 *   after a lull of our own (the database away), one refusal among a few replies says nothing of
 *   it, and the step is from the rate. The first decrease waits for a second of replies: the first
 *   replies of a send come slowly (connections opening), and would read as a relay that takes little;
 * - **decrease multiplicatively**: a throttling reply takes the rate to `decrease` (0.85) × the lower
 *   of the rate and what the relay accepted in the last second, so one step lands under a relay's
 *   limit however far above it the sender was. Replies within the hold (1 s, the period relays count
 *   rates over) of a decrease are the same signal: answers to messages sent before it. Unless more
 *   than half the replies since are refusals: the relay is far under our rate, and waiting out the
 *   hold would spend the refused messages' requeues, so the rate goes under what it accepted at once;
 * - **increase additively**: each message the relay accepts adds `increase` (1) msg/s. While the
 *   relay caps what it accepts, that is a climb of its limit per second, back over it within the
 *   second after a decrease (a sawtooth just around the limit); when it does not cap, more accepted
 *   messages make a faster climb: the sender probes upward as fast as the relay proves it can take;
 * - **judge each decrease**: the rate holds still for the first `evidence` (64) replies after a
 *   decrease (within half a hold). If they are refused at no less than half the share of before, going
 *   slower was not what the relay wanted (it refuses a share of messages whatever the rate) and the
 *   hold doubles, up to 16 s; a decrease that helped halves it again. A relay that throttles one
 *   message in ten whatever the rate leaves the send near full speed
 *   (test/integration/delivery.throttled-relay.test.ts); one that caps the rate gets a sawtooth
 *   just around its limit.
 *
 * Rejected: a climb of a fixed number of messages per second (the textbook AIMD), and a decrease at
 * every throttling reply: against a relay that throttles a share of the messages whatever the rate,
 * the decreases outweigh the climb at any rate, and the send sinks to the minimum. A fixed hold of a
 * second with the climb above: the send recovers, but from the slow first second of a send it took
 * several seconds, more than a whole clean send on a fast machine.
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
  /** The hold doubles up to this after decreases that did not help (ms). */
  readonly maxHoldMs: number;
  /** Replies after a decrease that judge whether it helped (those within half a hold of it). */
  readonly evidence: number;
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
  maxHoldMs: 16_000,
  evidence: 64,
  quietMs: 30_000,
  windowMs: 1000,
};

/**
 * Replies of one kind (accepted, or refused for our rate), as a sliding window of `windowMs`: the count in the current window
 * and the one before it (weighted by how much of it the sliding window still covers).
 */
export interface RateMeter {
  readonly windowStart: number;
  readonly current: number;
  readonly previous: number;
  /** The first message counted: before a whole window has passed, the rate is over what there is. */
  readonly firstAt: number | undefined;
}

export const EMPTY_METER: RateMeter = { windowStart: 0, current: 0, previous: 0, firstAt: undefined };

function rolled(m: RateMeter, now: number, windowMs: number): RateMeter {
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

export function meterOne(m: RateMeter, now: number, windowMs: number): RateMeter {
  if (m.firstAt === undefined) return { windowStart: now, current: 1, previous: 0, firstAt: now };
  const r = rolled(m, now, windowMs);
  return { ...r, current: r.current + 1 };
}

/**
 * Messages per second the relay accepted over the last `windowMs`; undefined before any. Younger
 * than a window, the count is spread over the time since the first (at least a tenth of a window,
 * so that the first two replies a millisecond apart do not read as thousands a second).
 */
export function perSecond(m: RateMeter, now: number, windowMs: number): number | undefined {
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
  /** Messages per second to pace to while throttled (maxRate otherwise, and before the first decrease). */
  readonly rate: number;
  /** When throttling started (undefined while not throttled). */
  readonly since: number | undefined;
  readonly decreasedAt: number;
  readonly lastThrottleAt: number;
  /** The lowest rate since throttling started. */
  readonly lowest: number;
  /** Throttling replies since throttling started. */
  readonly refused: number;
  /** How long after a decrease throttling replies are the same signal: `holdMs`, doubled after decreases that did not help. */
  readonly hold: number;
  readonly accepted: RateMeter;
  readonly refusals: RateMeter;
  /** The share of replies refused over the last window when the rate last went down. */
  readonly shareAtDecrease: number | undefined;
  /** Replies since the last decrease (or since throttling started), accepted and refused. */
  readonly afterAccepted: number;
  readonly afterRefused: number;
  /** Of the first `evidence` replies after the last decrease, those refused: whether it helped. */
  readonly judgedRefused: number;
  readonly judged: number;
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
    hold: o.holdMs,
    accepted: EMPTY_METER,
    refusals: EMPTY_METER,
    shareAtDecrease: undefined,
    afterAccepted: 0,
    afterRefused: 0,
    judgedRefused: 0,
    judged: 0,
  };
}

const clamp = (v: number, o: RateOptions) => Math.min(o.maxRate, Math.max(o.minRate, v));

/** Whether a reply at `now` is one of those that judge the last decrease (the rate holds still meanwhile). */
function judging(s: SendRate, now: number, o: RateOptions): boolean {
  return s.decreasedAt !== Number.NEGATIVE_INFINITY && s.judged < o.evidence && now - s.decreasedAt < o.holdMs / 2;
}

/**
 * The relay accepted a message (250): measured, and while throttled the rate climbs by `increase`,
 * except over the first `evidence` replies after a decrease, which judge it at the rate it set.
 */
export function onAccepted(s: SendRate, now: number, o: RateOptions = RATE_DEFAULTS): SendRate {
  const accepted = meterOne(s.accepted, now, o.windowMs);
  if (!s.throttled) return { ...s, accepted };
  const judge = judging(s, now, o);
  return {
    ...s,
    accepted,
    afterAccepted: s.afterAccepted + 1,
    judged: judge ? s.judged + 1 : s.judged,
    rate: judge ? s.rate : clamp(s.rate + o.increase, o),
  };
}

/**
 * The relay refused a message for our rate. The rate goes down to `decrease` × the lower of the
 * rate and what the relay accepted in the last second, when:
 * - the hold after the last decrease is over (at first: once a window of replies is measured), or
 * - more than half of the replies since the last decrease are refused (at least 8): the relay is far
 *   under our rate, and waiting out the hold would spend the refused messages' requeues.
 * A decrease is judged by the first `evidence` replies after it: if it did not halve the share of
 * replies refused, going slower was not what the relay asked for (it refuses a share of messages
 * whatever the rate), and the hold doubles (up to `maxHoldMs`); if it did, the hold halves again.
 */
export function onThrottled(s: SendRate, now: number, o: RateOptions = RATE_DEFAULTS): SendRate {
  const refusals = meterOne(s.refusals, now, o.windowMs);
  const judge = judging(s, now, o);
  const next: SendRate = {
    ...s,
    throttled: true,
    since: s.throttled ? s.since : now,
    refused: s.throttled ? s.refused + 1 : 1,
    lastThrottleAt: now,
    refusals,
    afterAccepted: s.throttled ? s.afterAccepted : 0,
    afterRefused: (s.throttled ? s.afterRefused : 0) + 1,
    judgedRefused: judge ? s.judgedRefused + 1 : s.judgedRefused,
    judged: judge ? s.judged + 1 : s.judged,
  };
  const accepted = perSecond(s.accepted, now, o.windowMs);
  // Nothing accepted yet: no rate to go under. Throttled from now, paced from the first measure.
  if (accepted === undefined) return next;
  const replies = next.afterAccepted + next.afterRefused;
  const farOver = replies >= 8 && next.afterRefused * 2 > replies;
  const measured = now - s.accepted.firstAt! >= o.windowMs;
  const held = s.decreasedAt === Number.NEGATIVE_INFINITY ? !measured : now - s.decreasedAt < s.hold;
  if (held && !farOver) return next;
  let hold = s.hold;
  // Judged only on enough replies to tell: at the share before the decrease, at least 4 refusals expected.
  if (!farOver && s.shareAtDecrease !== undefined && next.judged * s.shareAtDecrease >= 4) {
    const helped = next.judgedRefused < (next.judged * s.shareAtDecrease) / 2;
    hold = helped ? Math.max(o.holdMs, hold / 2) : Math.min(o.maxHoldMs, hold * 2);
  }
  const refusedRate = perSecond(refusals, now, o.windowMs) ?? 0;
  // What the relay accepted says where its limit is only beside enough refusals: after a lull of our
  // own (the database away, a slow claim), one refusal among a few replies says nothing of it.
  const telling = farOver || (refusedRate * o.windowMs) / 1000 >= 4;
  // Not paced yet, and nothing telling: a few refusals are no reason to start.
  if (!telling && s.decreasedAt === Number.NEGATIVE_INFINITY) return next;
  const limit = telling ? accepted : Number.POSITIVE_INFINITY;
  // Far over, within the hold: down to under what the relay accepted, never below (the relay may still be refusing what came before).
  const rate = clamp(farOver && held ? Math.min(s.rate, limit * o.decrease) : Math.min(s.rate, limit) * o.decrease, o);
  return {
    ...next,
    rate,
    decreasedAt: now,
    lowest: s.decreasedAt === Number.NEGATIVE_INFINITY ? rate : Math.min(s.lowest, rate),
    hold,
    shareAtDecrease: refusedRate / Math.max(refusedRate + accepted, Number.MIN_VALUE),
    afterAccepted: 0,
    afterRefused: 0,
    judgedRefused: 0,
    judged: 0,
  };
}

/** Whether throttling is over by `now`: no throttling reply for `quietMs`. */
export function quietSince(s: SendRate, now: number, o: RateOptions = RATE_DEFAULTS): boolean {
  return s.throttled && now - s.lastThrottleAt >= o.quietMs;
}

/** Back to unpaced (after quietSince said so); what was measured is kept. */
export function throttleEnded(s: SendRate, o: RateOptions = RATE_DEFAULTS): SendRate {
  return { ...initialRate(o), accepted: s.accepted, refusals: s.refusals };
}

/** The token bucket the connections share: tokens, and when they were counted. */
export interface Bucket {
  readonly tokens: number;
  readonly at: number;
}

/**
 * Takes a token for one message if there is one, else says how long until there is one at the
 * current rate (the caller sleeps, then asks again: a rate that changed meanwhile applies at once,
 * where a reservation made at a low rate would hold a connection long after the rate rose). The
 * bucket holds `burstMs` worth of messages (at least one), so timers that fire late, and
 * connections that ask at once, do not lose the rate.
 */
export function takeToken(
  b: Bucket | undefined,
  now: number,
  rate: number,
  burstMs: number,
): { readonly bucket: Bucket; readonly waitMs: number } {
  const capacity = Math.max(1, (rate * burstMs) / 1000);
  const tokens = b === undefined ? capacity : Math.min(capacity, b.tokens + (Math.max(0, now - b.at) * rate) / 1000);
  // A hair under one after sleeping exactly the time asked (float rounding) is one.
  if (tokens >= 1 - 1e-9) return { bucket: { tokens: Math.max(0, tokens - 1), at: now }, waitMs: 0 };
  return { bucket: { tokens, at: now }, waitMs: ((1 - tokens) * 1000) / rate };
}
