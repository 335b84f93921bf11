import { hostname } from 'node:os';
import type { Logger } from '../config/index.js';
import type { Db } from '../db/index.js';
import { clearThrottle, saveThrottle } from './relay-throttle.repository.js';
import type { RelayWatch } from './smtp/relay-watch.js';

let senders = 0;

/**
 * Keeps this process's row of relay_throttles while the relay throttles its Sender, so the other
 * processes can show it (`digest status`, the admin, /healthz): written when throttling starts,
 * refreshed every `refreshMs` (the pace moves, and a row that stops being refreshed is read as a
 * dead process's), deleted when it ends. Made once per Sender, beside its RelayWatch, by the
 * composition roots (src/main.ts, cli/delivery-runtime.ts). A write that fails (the database is
 * away) is logged and tried again at the next refresh: status reporting never stops a send.
 */
export class ThrottleRecorder {
  readonly sender = `${hostname()}:${process.pid}:${++senders}`;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private failedOnce = false;

  constructor(
    private readonly db: Db,
    private readonly relay: RelayWatch,
    private readonly log: Logger,
    private readonly refreshMs = 2000,
  ) {
    relay.onThrottle((change) => {
      if (change.type === 'started') {
        this.save();
        this.timer ??= setInterval(() => this.save(), this.refreshMs);
        this.timer.unref();
      } else {
        this.stopTimer();
        this.write(() => clearThrottle(this.db, this.sender));
      }
    });
  }

  /** Resolves once the writes asked so far are done (or failed): before the process closes the database. */
  settled(): Promise<void> {
    return this.writing;
  }

  close(): Promise<void> {
    this.stopTimer();
    return this.writing;
  }

  private save(): void {
    const t = this.relay.status().throttle;
    if (!t?.throttled) return;
    this.write(() => saveThrottle(this.db, this.sender, t));
  }

  /** One write at a time, in order: a clear never overtakes the save before it. */
  private write(op: () => Promise<void>): void {
    this.writing = this.writing.then(op).then(
      () => {
        this.failedOnce = false;
      },
      (err: unknown) => {
        if (this.failedOnce) return;
        this.failedOnce = true;
        this.log.warn(
          { event: 'delivery.throttle_record_failed', err: (err as Error).message },
          'could not record the relay throttling for other processes',
        );
      },
    );
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
