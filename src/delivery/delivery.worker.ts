import { setTimeout as sleep } from 'node:timers/promises';
import type { Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type { Config, Logger } from '../config/index.js';
import type { Db } from '../db/index.js';
import { suppress, markBounced } from '../subscribers/index.js';
import { claimDeliveries, extendLeases, type ClaimedDelivery } from './deliveries.claim.js';
import { markFailed, markRetry, markSent, releaseClaims, type SentMark } from './deliveries.complete.js';
import type { MessageSource } from './edition.messages.js';
import { bulkSenderFor } from './mailer.js';
import type { SmtpSendError } from './smtp-pipeline.js';
import { nextRetry } from './retry-policy.js';
import { classifySmtpFailure, NEVER_CONNECTED, type Classified } from './smtp-reply.js';
import { addressDomain, bareAddress, deliveryMessageId, verpAddress } from './verp.js';

export type WorkerEvent =
  | { type: 'sent'; deliveryId: number; editionId: number }
  | { type: 'retry'; deliveryId: number; editionId: number; outcome: 'transient' | 'uncertain' }
  | { type: 'failed'; deliveryId: number; editionId: number; hardBounce: boolean }
  | { type: 'skipped'; count: number };

export interface WorkerOptions {
  /** Which editions to work on; default: every edition in `sending` (looked up every few seconds). */
  readonly editionId?: number | undefined;
  /** Rows per claim (DELIVERY_BATCH). A new claim is made when the queue falls to half of it. */
  readonly batchSize?: number;
  /** Messages handed to the SMTP pool at once (default: 2 × SMTP_MAX_CONNECTIONS). */
  readonly concurrency?: number;
  /** sent marks are flushed in one UPDATE when this many are waiting, or after `markDelayMs`. */
  readonly markBatch?: number;
  readonly markDelayMs?: number;
  /** How long to sleep when nothing is due. */
  readonly idleMs?: number;
  /** Return once the edition has nothing left to send (the `digest send` mode). */
  readonly untilDone?: boolean;
  readonly onEvent?: (event: WorkerEvent) => void;
  readonly name?: string;
}

export interface WorkerDeps {
  readonly db: Db;
  readonly config: Config;
  readonly log: Logger;
  /** The process's pooled transport: SMTP_RATE is enforced across everything that shares it. */
  readonly transport: Transporter<SMTPPool.SentMessageInfo>;
  readonly messages: MessageSource;
}

/**
 * One delivery worker: claims batches (a lease), builds each reader's message, hands it to the SMTP
 * pool, and records the outcome. Claiming is streamed with backpressure: at most about 1.5 batches
 * are held in memory, however large the list. See README "Sending" for what it guarantees.
 */
export class DeliveryWorker {
  private readonly queue: ClaimedDelivery[] = [];
  private readonly inFlight = new Map<number, Promise<void>>();
  private marks: SentMark[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private markTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly wake = new AbortController();
  private running: Promise<void> | undefined;
  private editionIds: number[] = [];
  private editionsCheckedAt = 0;
  private nextClaimAt = 0;
  private claiming: Promise<number> | undefined;
  private readonly opts: Required<Omit<WorkerOptions, 'editionId' | 'onEvent'>> & Pick<WorkerOptions, 'editionId' | 'onEvent'>;
  private readonly domain: string;

  constructor(private readonly deps: WorkerDeps, options: WorkerOptions = {}) {
    const c = deps.config;
    this.opts = {
      batchSize: options.batchSize ?? c.delivery.batchSize,
      concurrency: options.concurrency ?? Math.max(2, c.smtp.maxConnections * 2),
      markBatch: options.markBatch ?? 50,
      markDelayMs: options.markDelayMs ?? 100,
      idleMs: options.idleMs ?? 1000,
      untilDone: options.untilDone ?? false,
      name: options.name ?? 'worker',
      editionId: options.editionId,
      onEvent: options.onEvent,
    };
    this.domain = addressDomain(c.mailFrom);
  }

  /** Starts the loop; the promise settles when the worker has stopped (or, untilDone, finished). */
  start(): Promise<void> {
    this.running ??= this.run();
    return this.running;
  }

  /**
   * Graceful stop: no new claims; messages already handed to SMTP finish (within `graceMs`), claims
   * not yet handed over are released for another worker, marks are flushed.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    this.wake.abort();
    const grace = sleep(graceMs, undefined, { ref: false });
    await Promise.race([Promise.allSettled(this.inFlight.values()), grace]);
    await this.running?.catch(() => undefined);
  }

  private async run(): Promise<void> {
    const heartbeat = setInterval(() => void this.renewLeases(), Math.max(1000, (this.deps.config.delivery.leaseSeconds * 1000) / 3));
    heartbeat.unref();
    try {
      while (!this.stopping) {
        // The next batch is claimed while this one is being sent: the SMTP connections never wait
        // for PostgreSQL unless the queue is empty.
        if (this.queue.length <= this.opts.batchSize / 2 && !this.claiming) {
          this.claiming = this.claim().finally(() => (this.claiming = undefined));
        }
        if (this.queue.length === 0) {
          const got = (await this.claiming) ?? 0;
          if (got === 0 && this.queue.length === 0) {
            if (this.inFlight.size > 0) {
              await Promise.race([...this.inFlight.values(), this.pause(this.opts.idleMs)]);
              continue;
            }
            await this.flushMarks();
            if (this.opts.untilDone && (await this.nothingLeft())) break;
            await this.pause(this.opts.idleMs);
            continue;
          }
        }
        while (this.inFlight.size < this.opts.concurrency && this.queue.length > 0 && !this.stopping) {
          this.dispatch(this.queue.shift()!);
        }
        if (this.inFlight.size >= this.opts.concurrency) await Promise.race(this.inFlight.values());
      }
    } finally {
      clearInterval(heartbeat);
      await this.claiming;
      await Promise.allSettled(this.inFlight.values());
      const unsent = this.queue.splice(0).map((d) => d.id);
      await this.retryDb('release', () => releaseClaims(this.deps.db, unsent), 3);
      await this.flushMarks(true);
    }
  }

  private pause(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: this.wake.signal }).catch(() => undefined);
  }

  private async currentEditions(): Promise<number[]> {
    if (this.opts.editionId !== undefined) return [this.opts.editionId];
    if (Date.now() - this.editionsCheckedAt > 5000) {
      const rows = await this.deps.db.selectFrom('editions').select('id').where('status', '=', 'sending').execute();
      this.editionIds = rows.map((r) => r.id);
      this.editionsCheckedAt = Date.now();
    }
    return this.editionIds;
  }

  private async claim(): Promise<number> {
    // After an empty claim, wait a little before asking again (the tail of an edition).
    if (Date.now() < this.nextClaimAt) return 0;
    try {
      const editions = await this.currentEditions();
      const { claimed, skipped } = await claimDeliveries(this.deps.db, editions, this.opts.batchSize, this.deps.config.delivery.leaseSeconds);
      if (skipped > 0) {
        this.deps.log.info({ event: 'delivery.skipped', count: skipped }, `${skipped} reader(s) no longer active at send time: skipped`);
        this.opts.onEvent?.({ type: 'skipped', count: skipped });
      }
      this.queue.push(...claimed);
      if (claimed.length === 0) this.nextClaimAt = Date.now() + Math.min(250, this.opts.idleMs);
      return claimed.length;
    } catch (err) {
      // PostgreSQL restarting, a network blip: nothing was claimed; try again after a pause.
      this.deps.log.warn({ event: 'delivery.claim_failed', err: (err as Error).message }, 'claim failed; retrying');
      await this.pause(this.opts.idleMs);
      return 0;
    }
  }

  /** True when the edition has nothing queued, retrying or claimed (by anyone). */
  private async nothingLeft(): Promise<boolean> {
    try {
      const editions = await this.currentEditions();
      if (editions.length === 0) return true;
      if (this.opts.editionId !== undefined) {
        // A foreground send of a paused (or expired) edition ends here; a resume is another send.
        const e = await this.deps.db.selectFrom('editions').select('status').where('id', '=', this.opts.editionId).executeTakeFirst();
        if (!e || e.status !== 'sending') return true;
      }
      const row = await this.deps.db
        .selectFrom('deliveries')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('edition_id', 'in', editions)
        .where('status', 'in', ['queued', 'retry', 'sending'])
        .executeTakeFirstOrThrow();
      return Number(row.n) === 0;
    } catch {
      return false;
    }
  }

  private dispatch(d: ClaimedDelivery): void {
    const p = this.send(d).finally(() => this.inFlight.delete(d.id));
    this.inFlight.set(d.id, p);
  }

  private async send(d: ClaimedDelivery): Promise<void> {
    const { config, log, transport } = this.deps;
    const messageId = deliveryMessageId(d.id, d.editionId, this.domain, this.deps.config.installId);
    let raw: Buffer;
    try {
      raw = await (await this.deps.messages(d.editionId))(d, messageId);
    } catch (err) {
      log.error({ event: 'delivery.compose_failed', delivery: d.id, edition: d.editionId, err: (err as Error).message }, 'could not build the message');
      await this.fail(d, { outcome: 'transient', hardBounce: false, reason: `compose: ${(err as Error).message}` }, messageId);
      return;
    }
    const from = config.delivery.bounceAddress ? verpAddress(config.delivery.bounceAddress, d.id) : bareAddress(config.mailFrom);
    const bulk = bulkSenderFor(transport);
    try {
      if (bulk) {
        await bulk.send({ from, to: d.email, raw });
        this.queueMark({ id: d.id, messageId });
        this.opts.onEvent?.({ type: 'sent', deliveryId: d.id, editionId: d.editionId });
        return;
      }
      const info = await transport.sendMail({ envelope: { from, to: [d.email] }, raw });
      if (info.rejected.length > 0) {
        // nodemailer resolves when only some recipients are refused; with one recipient it throws,
        // but read `rejected` anyway rather than count a refusal as sent.
        const e = (info.rejectedErrors?.[0] ?? {}) as { code?: string; responseCode?: number; response?: string };
        await this.fail(d, classifySmtpFailure({ code: e.code ?? 'EENVELOPE', responseCode: e.responseCode, response: e.response, bodySent: false }), messageId);
        return;
      }
      this.queueMark({ id: d.id, messageId });
      this.opts.onEvent?.({ type: 'sent', deliveryId: d.id, editionId: d.editionId });
    } catch (err) {
      const e = err as { code?: string; originalCode?: string; responseCode?: number; response?: string; message?: string } & Partial<Pick<SmtpSendError, 'bodySent'>>;
      const neverConnected = NEVER_CONNECTED.has(e.originalCode ?? '') || NEVER_CONNECTED.has(e.code ?? '');
      // The bulk sender knows whether the body was written; nodemailer only whether it ever connected.
      const bodySent = e.bodySent ?? (neverConnected ? false : undefined);
      const c = classifySmtpFailure({ code: e.code, responseCode: e.responseCode, response: e.response ?? e.message, bodySent });
      await this.fail(d, c, messageId);
    }
  }

  private async fail(d: ClaimedDelivery, c: Classified, messageId: string): Promise<void> {
    const { db, config, log } = this.deps;
    const ids = { delivery: d.id, edition: d.editionId, messageId, attempts: d.attempts };
    if (c.outcome === 'permanent') {
      await this.retryDb('mark_failed', () => markFailed(db, d.id, c.reason), 5);
      if (c.hardBounce) {
        await this.retryDb('suppress', async () => {
          await suppress(db, d.email, 'bounced');
          await markBounced(db, d.subscriberId, { editionId: d.editionId, reason: c.reason });
        }, 5);
      }
      log.warn({ event: 'delivery.failed', ...ids, reason: c.reason, hardBounce: c.hardBounce }, 'relay refused the message for good');
      this.opts.onEvent?.({ type: 'failed', deliveryId: d.id, editionId: d.editionId, hardBounce: c.hardBounce });
      return;
    }
    // The edition's own cutoff (editions.cutoff_at: a late send moves it), never recomputed here.
    const edition = await this.retryDb('edition', () => db.selectFrom('editions').select('cutoff_at').where('id', '=', d.editionId).executeTakeFirst(), 5);
    const giveUpAt = edition?.cutoff_at;
    // An uncertain message may already be in the reader's inbox: it is resent once, never more.
    const decision = c.outcome === 'uncertain' && d.uncertain >= 1
      ? ({ retry: false, why: 'attempts' } as const)
      : nextRetry({ baseSeconds: config.delivery.retryBaseSeconds, maxAttempts: config.delivery.maxAttempts, giveUpAt }, d.attempts, new Date());
    if (c.outcome === 'uncertain') {
      log.warn({ event: 'delivery.uncertain', ...ids, reason: c.reason, resend: decision.retry }, 'connection lost before the relay answered: the message may have been delivered');
    }
    if (decision.retry) {
      await this.retryDb('mark_retry', () => markRetry(db, d.id, decision.at, c.reason, c.outcome === 'uncertain'), 5);
      log.info({ event: 'delivery.retry', ...ids, reason: c.reason, at: decision.at }, 'will retry');
      this.opts.onEvent?.({ type: 'retry', deliveryId: d.id, editionId: d.editionId, outcome: c.outcome === 'uncertain' ? 'uncertain' : 'transient' });
    } else {
      await this.retryDb('mark_failed', () => markFailed(db, d.id, `${c.reason} (gave up: ${decision.why})`), 5);
      log.warn({ event: 'delivery.failed', ...ids, reason: c.reason, gaveUp: decision.why }, 'gave up');
      this.opts.onEvent?.({ type: 'failed', deliveryId: d.id, editionId: d.editionId, hardBounce: false });
    }
  }

  private queueMark(mark: SentMark): void {
    this.marks.push(mark);
    if (this.marks.length >= this.opts.markBatch) void this.flushMarks();
    else this.markTimer ??= setTimeout(() => void this.flushMarks(), this.opts.markDelayMs);
  }

  /**
   * Writes the waiting sent marks in one UPDATE. A failure (database restarting) keeps them for the
   * next flush: a mark is dropped only once written, so a 250 is never forgotten while we run.
   */
  private flushMarks(final = false): Promise<void> {
    if (this.markTimer) clearTimeout(this.markTimer);
    this.markTimer = undefined;
    this.flushing = this.flushing.then(async () => {
      for (let tries = 0; this.marks.length > 0; tries++) {
        const batch = this.marks.splice(0, 500);
        try {
          await markSent(this.deps.db, batch);
        } catch (err) {
          this.marks.unshift(...batch);
          this.deps.log.warn({ event: 'delivery.mark_failed', pending: this.marks.length, err: (err as Error).message }, 'could not record sent messages yet; will retry');
          if (!final) {
            this.markTimer ??= setTimeout(() => void this.flushMarks(), 1000);
            return;
          }
          if (tries >= 60) return;
          await sleep(1000);
        }
      }
    });
    return this.flushing;
  }

  private async renewLeases(): Promise<void> {
    const ids = [...this.queue.map((d) => d.id), ...this.inFlight.keys()];
    await extendLeases(this.deps.db, ids, this.deps.config.delivery.leaseSeconds).catch(() => undefined);
  }

  /** Runs a database write, retrying while the database is unreachable (bounded). */
  private async retryDb<T>(what: string, fn: () => Promise<T>, tries: number): Promise<T | undefined> {
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
