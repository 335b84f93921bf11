import type { Logger } from '../../config/index.js';
import type { PipelineStats, ThrottleChange, ThrottleStatus } from './smtp-pipeline.js';
import { relayProblem, shownSmtpUrl, type Outcome, type Sender } from './sender.js';

export interface RelayStatus {
  readonly up: boolean;
  /** When the relay was judged down (undefined while up). */
  readonly downSince: Date | undefined;
  /** What failed, one line, SMTP_URL without its password. */
  readonly error: string | undefined;
  /** The sender's pool: connections, target, round trip, pushback (undefined: nodemailer's fixed pool). */
  readonly pool?: PipelineStats | undefined;
  /** Whether the relay throttles the sender now, and the rate it paces to (pool.throttle). */
  readonly throttle?: ThrottleStatus | undefined;
}

export interface RelayWatchOptions {
  /** SMTP_URL (shown without its password). */
  readonly url: string;
  readonly log: Logger;
  /** Failures of the relay itself in a row, with no success between, that pause claiming. */
  readonly downAfter?: number;
  /** First probe this long after going down; doubled after each failed probe, up to `maxProbeMs`. */
  readonly probeMs?: number;
  readonly maxProbeMs?: number;
}

/**
 * Whether the relay can be used, shared by the delivery workers of a process (they share one
 * Sender). A run of `downAfter` relay failures (no connection, TLS or AUTH failing, connections
 * lost with no reply) with no success between judges it down: workers stop claiming and stop handing
 * messages over, so a relay that went away does not burn every delivery's attempts. While down, a
 * background probe (Sender.verify: connect, EHLO, STARTTLS, AUTH) tries again with backoff, and the
 * first success resumes the workers. Any answer from the relay (a 250, a 4xx, a 5xx) proves it is there.
 *
 * A relay that throttles (a rate limit: the sender paces itself, smtp/send-pacer.ts) is up: it is
 * logged once when it starts (`delivery.throttled`) and once when it ends (`delivery.throttle_ended`,
 * with the rate reached), and told to `onThrottle` listeners (the progress line, the record other
 * processes read: delivery/throttle-recorder.ts).
 */
export class RelayWatch {
  private failures = 0;
  private down: { since: Date; error: string } | undefined;
  private waiters: (() => void)[] = [];
  private probeTimer: NodeJS.Timeout | undefined;
  private probeDelay: number;
  private checked: Promise<boolean> | undefined;
  private closed = false;
  private readonly listeners: ((status: RelayStatus) => void)[] = [];
  private readonly throttleListeners: ((change: ThrottleChange) => void)[] = [];

  constructor(
    private readonly sender: Pick<Sender, 'verify' | 'stats' | 'onThrottle'>,
    private readonly opts: RelayWatchOptions,
  ) {
    this.probeDelay = opts.probeMs ?? 1000;
    sender.onThrottle?.((change) => this.throttleChanged(change));
  }

  get up(): boolean {
    return this.down === undefined;
  }

  status(): RelayStatus {
    const pool = this.sender.stats?.();
    return { up: this.up, downSince: this.down?.since, error: this.down?.error, pool, throttle: pool?.throttle };
  }

  /** Called on every change between up and down (a progress line, a metric). */
  onChange(listener: (status: RelayStatus) => void): void {
    this.listeners.push(listener);
  }

  /** Called when the relay starts and stops throttling the sender. */
  onThrottle(listener: (change: ThrottleChange) => void): void {
    this.throttleListeners.push(listener);
  }

  /**
   * One connection and EHLO before anything is claimed, shared by every worker of the process (once).
   * Resolves false, and starts probing, when the relay cannot be used.
   */
  check(): Promise<boolean> {
    this.checked ??= this.sender.verify().then(
      () => true,
      (err: unknown) => {
        this.goDown(relayProblem(this.opts.url, err));
        return false;
      },
    );
    return this.checked;
  }

  /**
   * The same check, for a command that must fail fast instead (`digest send`, `digest worker`): throws
   * what failed, logs nothing, and counts as the check its workers would make.
   */
  async preflight(): Promise<void> {
    await this.sender.verify();
    this.checked ??= Promise.resolve(true);
  }

  /** Counts an outcome of a real send. */
  note(outcome: Outcome): void {
    if (outcome.outcome !== 'sent' && outcome.relayDown) {
      this.failures += 1;
      if (this.failures >= (this.opts.downAfter ?? 5) && this.up) {
        this.goDown(
          `SMTP_URL ${shownSmtpUrl(this.opts.url)}: ${this.failures} messages in a row failed at the relay itself (last: ${outcome.reason})`,
        );
      }
      return;
    }
    this.failures = 0;
    // A message accepted (or answered) while judged down: the relay is back.
    if (!this.up) this.goUp();
  }

  /** Resolves once the relay is up again (at once if it is), or when `signal` aborts. */
  whenUp(signal?: AbortSignal): Promise<void> {
    if (this.up || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      this.waiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  close(): void {
    this.closed = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    for (const w of this.waiters.splice(0)) w();
  }

  private goDown(error: string): void {
    if (!this.up || this.closed) return;
    this.down = { since: new Date(), error };
    this.probeDelay = this.opts.probeMs ?? 1000;
    this.opts.log.warn({ event: 'delivery.relay_down', error }, `${error}: claiming paused until the relay answers again`);
    this.emit();
    this.scheduleProbe();
  }

  private goUp(): void {
    if (this.up) return;
    const since = this.down!.since;
    this.down = undefined;
    this.failures = 0;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    this.opts.log.warn(
      { event: 'delivery.relay_up', downSeconds: Math.round((Date.now() - since.getTime()) / 1000) },
      'the relay answers again: sending resumes',
    );
    this.emit();
    for (const w of this.waiters.splice(0)) w();
  }

  private scheduleProbe(): void {
    if (this.closed) return;
    this.probeTimer = setTimeout(() => void this.probe(), this.probeDelay);
    this.probeTimer.unref();
  }

  private async probe(): Promise<void> {
    this.probeTimer = undefined;
    try {
      await this.sender.verify();
      this.goUp();
    } catch (err) {
      if (this.up || this.closed) return;
      this.down = { since: this.down!.since, error: relayProblem(this.opts.url, err) };
      this.probeDelay = Math.min(this.probeDelay * 2, this.opts.maxProbeMs ?? 30_000);
      this.scheduleProbe();
    }
  }

  private throttleChanged(change: ThrottleChange): void {
    const t = change.status;
    const rate = roundRate(t.rate);
    if (change.type === 'started') {
      this.opts.log.warn(
        { event: 'delivery.throttled', rate, acceptedRate: roundRate(t.acceptedRate), reply: t.reason },
        `the relay throttles sending (${t.reason}): ${rate === undefined ? 'measuring what it accepts, then pacing to it' : `pacing to ${rate} msg/s`}: fewer messages a second on the same connections, none failed for it`,
      );
    } else {
      const seconds = t.since ? Math.round((Date.now() - t.since.getTime()) / 1000) : undefined;
      this.opts.log.warn(
        { event: 'delivery.throttle_ended', why: change.why, rate, lowestRate: roundRate(t.lowestRate), refused: t.refused, seconds },
        `${change.why === 'quiet' ? 'the relay stopped throttling' : 'sending stopped while the relay throttled'} after ${seconds} s: ${t.refused} message(s) refused for our rate and put back; the rate reached ${rate ?? '–'} msg/s (lowest ${roundRate(t.lowestRate) ?? '–'})`,
      );
    }
    for (const l of this.throttleListeners) l(change);
  }

  private emit(): void {
    const s = this.status();
    for (const l of this.listeners) l(s);
  }
}

function roundRate(r: number | undefined): number | undefined {
  return r === undefined ? undefined : Math.round(r * 10) / 10;
}
