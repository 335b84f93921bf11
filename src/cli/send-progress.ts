import type { DeliveryCounts, ThrottleStatus, WorkerEvent } from '../delivery/index.js';

/**
 * The send's progress: on a terminal a line redrawn in place (a bar, sent / failed / retrying,
 * msgs/s, ETA, and the relay's throttling while it lasts); elsewhere (CI, a log file) a plain line
 * every few seconds.
 */
export class SendProgress {
  private sent = 0;
  private failed = 0;
  private retrying = 0;
  private skipped = 0;
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private readonly tty: boolean;
  private throttle: () => ThrottleStatus | undefined = () => undefined;

  constructor(
    private readonly label: string,
    private total: number,
    private readonly alreadySent: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = Boolean(out.isTTY);
  }

  /** Where the line reads whether the relay throttles the send (the Sender's pacer, through the relay watch). */
  showThrottle(read: () => ThrottleStatus | undefined): void {
    this.throttle = read;
  }

  start(): void {
    this.timer = setInterval(() => this.draw(), this.tty ? 200 : 5000);
    this.timer.unref();
    this.draw();
  }

  readonly onEvent = (e: WorkerEvent): void => {
    if (e.type === 'sent') this.sent += 1;
    else if (e.type === 'failed') this.failed += 1;
    else if (e.type === 'retry') this.retrying += 1;
    else if (e.type === 'skipped') this.skipped += e.count;
  };

  private line(): string {
    const done = this.alreadySent + this.sent + this.failed + this.skipped;
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds > 0 ? this.sent / seconds : 0;
    const left = Math.max(0, this.total - done);
    const eta = rate > 0 ? `${Math.ceil(left / rate)} s` : '–';
    const pct = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const bar = '█'.repeat(Math.round(pct * 24)).padEnd(24, '░');
    return `${this.label} ${bar} ${(pct * 100).toFixed(0).padStart(3)}%  sent ${this.alreadySent + this.sent}/${this.total}  failed ${this.failed}  retries ${this.retrying}  skipped ${this.skipped}  ${rate.toFixed(0)} msg/s  ETA ${eta}${throttled(this.throttle())}`;
  }

  private draw(): void {
    if (this.tty) this.out.write(`\r\x1b[2K${this.line()}`);
    else this.out.write(`${this.line()}\n`);
  }

  finish(counts: DeliveryCounts): void {
    if (this.timer) clearInterval(this.timer);
    this.total = counts.total;
    this.out.write(this.tty ? `\r\x1b[2K${this.line()}\n` : `${this.line()}\n`);
  }
}

/** "  throttled by the relay: paced to 143 msg/s, 812 put back", or nothing while it is not. */
function throttled(t: ThrottleStatus | undefined): string {
  if (!t?.throttled) return '';
  const pace =
    t.rate === undefined ? 'measuring what it accepts' : `paced to ${t.rate >= 10 ? Math.round(t.rate) : t.rate.toFixed(1)} msg/s`;
  return `  throttled by the relay: ${pace}, ${t.refused} put back`;
}
