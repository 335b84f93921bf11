import { setTimeout as sleep } from 'node:timers/promises';
import type { Config, Logger } from '../config/index.js';
import type { Db } from '../db/index.js';
import { markBounced, suppress } from '../subscribers/index.js';
import type { ClaimedDelivery } from './claim-deliveries.js';
import { markFailed, markRetry, markSent, type SentMark } from './delivery-state.js';
import { nextRetry } from './retry-policy.js';
import { journalDir, SentJournal } from './sent-journal.js';
import type { Classified } from './smtp/smtp-reply.js';

export type WorkerEvent =
  | { type: 'sent'; deliveryId: number; editionId: number }
  | { type: 'retry'; deliveryId: number; editionId: number; outcome: 'transient' | 'uncertain' }
  | { type: 'failed'; deliveryId: number; editionId: number; hardBounce: boolean }
  | { type: 'skipped'; count: number };

export interface RecorderOptions {
  /** A flush is started when this many marks wait, or `markDelayMs` after the first. */
  readonly markBatch: number;
  readonly markDelayMs: number;
  readonly onEvent?: ((event: WorkerEvent) => void) | undefined;
  /** Called each time marks were written (the worker's window may have room again). */
  readonly onStored?: (() => void) | undefined;
}

/**
 * What a worker writes back once the relay has answered: `sent` marks (batched, one UPDATE per
 * batch), retries with backoff, failures and the suppression of a refused address. The worker reads
 * `waitingMarks` to hold back new messages while marks cannot be written (unrecorded-window.ts).
 * Each waiting mark is also a line in the sent journal in DATA_DIR (sent-journal.ts) until it is
 * written, so a process killed meanwhile does not send those messages again when it restarts.
 */
export class OutcomeRecorder {
  private marks: SentMark[] = [];
  private flushing: Promise<void> = Promise.resolve();
  /** A flush waiting behind the running one: later calls join it rather than queue one UPDATE each. */
  private queuedFlush: Promise<void> | undefined;
  private markTimer: NodeJS.Timeout | undefined;
  /** None with an in-memory DATA_DIR. */
  private readonly journal: SentJournal | undefined;

  constructor(
    private readonly deps: { readonly db: Db; readonly config: Config; readonly log: Logger },
    private readonly opts: RecorderOptions,
  ) {
    const dir = journalDir(deps.config.dataDir);
    this.journal = dir ? new SentJournal(dir, deps.log) : undefined;
  }

  /** Sent marks not yet written (being written included). */
  get waitingMarks(): number {
    return this.marks.length + this.writing;
  }

  private writing = 0;

  sent(d: ClaimedDelivery, messageId: string): void {
    const mark = { id: d.id, messageId };
    // On disk before it is only in memory: one write(2), no fsync, about 3.5 µs of CPU (bench/sent-journal.ts).
    this.journal?.append(mark);
    this.marks.push(mark);
    this.opts.onEvent?.({ type: 'sent', deliveryId: d.id, editionId: d.editionId });
    if (this.marks.length >= this.opts.markBatch) void this.flush();
    else this.markTimer ??= setTimeout(() => void this.flush(), this.opts.markDelayMs);
  }

  /** A failure as the Sender classified it: retried with backoff, resent once if uncertain, or failed. */
  async failed(d: ClaimedDelivery, c: Classified, messageId: string, now = new Date()): Promise<void> {
    const { db, config, log } = this.deps;
    const ids = { delivery: d.id, edition: d.editionId, messageId, attempts: d.attempts };
    if (c.outcome === 'permanent') {
      await this.retryDb('mark_failed', () => markFailed(db, d.id, c.reason), 5);
      if (c.hardBounce) {
        await this.retryDb(
          'suppress',
          async () => {
            await suppress(db, d.email, 'bounced');
            await markBounced(db, d.subscriberId, { editionId: d.editionId, reason: c.reason });
          },
          5,
        );
      }
      log.warn({ event: 'delivery.failed', ...ids, reason: c.reason, hardBounce: c.hardBounce }, 'relay refused the message for good');
      this.opts.onEvent?.({ type: 'failed', deliveryId: d.id, editionId: d.editionId, hardBounce: c.hardBounce });
      return;
    }
    // An uncertain message may already be in the reader's inbox: it is resent once, never more.
    const decision =
      c.outcome === 'uncertain' && d.uncertain >= 1
        ? ({ retry: false, why: 'attempts' } as const)
        : nextRetry(
            { baseSeconds: config.delivery.retryBaseSeconds, maxAttempts: config.delivery.maxAttempts, giveUpAt: d.cutoffAt },
            d.attempts,
            now,
          );
    if (c.outcome === 'uncertain') {
      log.warn(
        { event: 'delivery.uncertain', ...ids, reason: c.reason, resend: decision.retry },
        'connection lost before the relay answered: the message may have been delivered',
      );
    }
    if (decision.retry) {
      await this.retryDb('mark_retry', () => markRetry(db, d.id, decision.at, c.reason, c.outcome === 'uncertain'), 5);
      log.info({ event: 'delivery.retry', ...ids, reason: c.reason, at: decision.at }, 'will retry');
      this.opts.onEvent?.({
        type: 'retry',
        deliveryId: d.id,
        editionId: d.editionId,
        outcome: c.outcome === 'uncertain' ? 'uncertain' : 'transient',
      });
    } else {
      await this.retryDb('mark_failed', () => markFailed(db, d.id, `${c.reason} (gave up: ${decision.why})`), 5);
      log.warn({ event: 'delivery.failed', ...ids, reason: c.reason, gaveUp: decision.why }, 'gave up');
      this.opts.onEvent?.({ type: 'failed', deliveryId: d.id, editionId: d.editionId, hardBounce: false });
    }
  }

  /**
   * Writes the waiting sent marks in one UPDATE per 500. A failure (database restarting) keeps them
   * for the next flush, a second later: a mark is dropped only once written, so a 250 is never
   * forgotten while we run. `final`: keep trying for a minute (the worker is stopping); what is still
   * not written then stays in the sent journal for the next start.
   */
  flush(final = false): Promise<void> {
    if (this.markTimer) clearTimeout(this.markTimer);
    this.markTimer = undefined;
    // Every 250 past markBatch asks for a flush; while one UPDATE runs, they all join the one queued
    // behind it, which then writes everything that came in meanwhile (measured: 5 rows per UPDATE
    // before, the batch size after).
    if (this.queuedFlush && !final) return this.queuedFlush;
    const queued = this.flushing.then(async () => {
      if (this.queuedFlush === queued) this.queuedFlush = undefined;
      try {
        await this.writeMarks(final);
      } finally {
        if (final) this.journal?.release();
      }
    });
    if (!final) this.queuedFlush = queued;
    this.flushing = queued;
    return queued;
  }

  private async writeMarks(final: boolean): Promise<void> {
    for (let tries = 0; this.marks.length > 0; tries++) {
      const batch = this.marks.splice(0, 500);
      this.writing = batch.length;
      try {
        await markSent(this.deps.db, batch);
        this.writing = 0;
        // Marks are written in the order they came (a failed batch goes back to the front): the
        // journal's oldest lines are these.
        this.journal?.stored(batch.length);
        this.opts.onStored?.();
      } catch (err) {
        this.writing = 0;
        this.marks.unshift(...batch);
        this.deps.log.warn(
          { event: 'delivery.mark_failed', pending: this.marks.length, err: (err as Error).message },
          'could not record sent messages yet; sending held back until they are',
        );
        if (!final) {
          this.markTimer ??= setTimeout(() => void this.flush(), 1000);
          return;
        }
        if (tries >= 60) return;
        await sleep(1000);
      }
    }
  }

  /** Runs a database write, retrying while the database is unreachable (bounded). */
  async retryDb<T>(what: string, fn: () => Promise<T>, tries: number): Promise<T | undefined> {
    for (let i = 0; ; i++) {
      try {
        return await fn();
      } catch (err) {
        if (i + 1 >= tries * 6) {
          this.deps.log.error({ event: 'delivery.db_failed', what, err: (err as Error).message }, 'database write failed');
          return undefined;
        }
        await sleep(500);
      }
    }
  }
}
