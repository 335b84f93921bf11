import {
  perSecond,
  initialRate,
  onAccepted,
  onThrottled,
  quietSince,
  RATE_DEFAULTS,
  type RateOptions,
  type SendRate,
  type Bucket,
  takeToken,
  throttleEnded,
} from './send-rate.js';

/** The relay's throttling as logs, metrics, /healthz, `digest status` and the admin show it. */
export interface ThrottleStatus {
  readonly throttled: boolean;
  /** When throttling started (wall clock); undefined while not throttled. */
  readonly since: Date | undefined;
  /** Messages per second the sender paces to; undefined while not throttled, and before the first decrease (a second of replies measured). */
  readonly rate: number | undefined;
  /** The lowest rate since throttling started. */
  readonly lowestRate: number | undefined;
  /** What the relay accepted over the last second (msg/s), throttled or not. */
  readonly acceptedRate: number | undefined;
  /** Throttling replies since throttling started. */
  readonly refused: number;
  /** The relay's last throttling reply, one line ("454 Throttling failure: Maximum sending rate exceeded."). */
  readonly reason: string | undefined;
}

/**
 * A start, or an end, of throttling, with the status then (at an end: the rate reached). An end is
 * `quiet` (no throttling reply for a while) or `closed` (the sender stopped while throttled).
 */
export type ThrottleChange =
  | { readonly type: 'started'; readonly status: ThrottleStatus }
  | { readonly type: 'ended'; readonly why: 'quiet' | 'closed'; readonly status: ThrottleStatus };

export interface PacerOptions {
  /** The sender's monotonic clock (ms). */
  readonly now: () => number;
  /** The wall clock for `since` (default: the system's). */
  readonly wallClock?: () => Date;
  readonly rate?: Partial<RateOptions>;
  /** How far ahead of the steady pace messages may go (ms, default 50). */
  readonly burstMs?: number;
}

/**
 * The sender's pace while the relay throttles it, shared by all its connections (send-rate.ts has
 * the rule): each connection asks `waitMs()` before it writes a message, and sleeps and asks again until it is 0. While
 * the relay is not throttling, nothing waits and nothing is timed. Starts and ends are told to the
 * listeners (relay-watch.ts logs them); the end comes `quietMs` after the last throttling reply, or
 * at close() when the sender stops while throttled.
 */
export class SendPacer {
  private s: SendRate;
  private readonly o: RateOptions;
  private bucket: Bucket | undefined;
  private since: Date | undefined;
  private reason: string | undefined;
  private quietTimer: NodeJS.Timeout | undefined;
  private readonly sleepers = new Set<() => void>();
  private readonly listeners: ((change: ThrottleChange) => void)[] = [];

  constructor(private readonly p: PacerOptions) {
    this.o = { ...RATE_DEFAULTS, ...p.rate };
    this.s = initialRate(this.o);
  }

  onChange(listener: (change: ThrottleChange) => void): void {
    this.listeners.push(listener);
  }

  accepted(): void {
    this.s = onAccepted(this.s, this.p.now(), this.o);
  }

  /** The relay refused a message for our rate; `reply` is its reply line. */
  throttled(reply: string): void {
    const started = !this.s.throttled;
    this.s = onThrottled(this.s, this.p.now(), this.o);
    this.reason = reply.replace(/\s+/g, ' ').trim().slice(0, 200);
    if (started) {
      this.since = (this.p.wallClock ?? (() => new Date()))();
      const status = this.status();
      for (const l of this.listeners) l({ type: 'started', status });
    }
    this.armQuiet();
  }

  /**
   * 0 when the next message may go now (a token taken; always, while not throttled), else how long
   * to sleep before asking again (ms).
   */
  waitMs(): number {
    if (!this.s.throttled || this.s.rate >= this.o.maxRate) return 0;
    const take = takeToken(this.bucket, this.p.now(), this.s.rate, this.p.burstMs ?? 50);
    this.bucket = take.bucket;
    return take.waitMs;
  }

  /** Sleeps `ms`; cut short by close(). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  status(): ThrottleStatus {
    const throttled = this.s.throttled;
    const paced = throttled && this.s.decreasedAt !== Number.NEGATIVE_INFINITY;
    return {
      throttled,
      since: throttled ? this.since : undefined,
      rate: paced ? this.s.rate : undefined,
      lowestRate: paced ? this.s.lowest : undefined,
      acceptedRate: perSecond(this.s.accepted, this.p.now(), this.o.windowMs),
      refused: throttled ? this.s.refused : 0,
      reason: throttled ? this.reason : undefined,
    };
  }

  /** The sender stops: sleepers wake, and throttling in progress ends here. */
  close(): void {
    for (const wake of [...this.sleepers]) wake();
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.quietTimer = undefined;
    if (this.s.throttled) this.end('closed');
  }

  /** Checks for the end of throttling `quietMs` after the last throttling reply (again if more came). */
  private armQuiet(): void {
    if (this.quietTimer) return;
    const check = () => {
      this.quietTimer = undefined;
      const now = this.p.now();
      if (quietSince(this.s, now, this.o)) this.end('quiet');
      else if (this.s.throttled) {
        this.quietTimer = setTimeout(check, Math.max(1, this.s.lastThrottleAt + this.o.quietMs - now));
        this.quietTimer.unref();
      }
    };
    this.quietTimer = setTimeout(check, this.o.quietMs);
    this.quietTimer.unref();
  }

  private end(why: 'quiet' | 'closed'): void {
    // Told with the numbers it ended with (the rate reached), then forgotten.
    const last = this.status();
    this.s = throttleEnded(this.s, this.o);
    this.bucket = undefined;
    this.since = undefined;
    this.reason = undefined;
    for (const l of this.listeners) l({ type: 'ended', why, status: last });
  }
}
