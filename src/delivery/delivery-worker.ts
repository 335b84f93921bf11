import { setTimeout as sleep } from 'node:timers/promises';
import type { Config, Logger } from '../config/index.js';
import type { Db } from '../db/index.js';
import { claimDeliveries, extendLeases, type ClaimedDelivery } from './claim-deliveries.js';
import { releaseClaims } from './delivery-state.js';
import { OutcomeRecorder, type WorkerEvent } from './outcome-recorder.js';
import type { MessageSource } from './message-source.js';
import { RelayWatch } from './smtp/relay-watch.js';
import type { Sender } from './smtp/sender.js';
import { mayHandOver } from './unrecorded-window.js';
import { addressDomain, bareAddress, deliveryMessageId, verpAddress } from './verp.js';

export type { WorkerEvent } from './outcome-recorder.js';

export interface WorkerOptions {
  /** Which editions to work on; default: every edition in `sending` (looked up every few seconds). */
  readonly editionId?: number | undefined;
  /** Rows per claim (DELIVERY_BATCH). A new claim is made when the queue falls to half of it. */
  readonly batchSize?: number;
  /** Messages handed to the Sender at once (default: 2 × SMTP_MAX_CONNECTIONS). */
  readonly concurrency?: number;
  /** sent marks are flushed in one UPDATE when this many are waiting, or after `markDelayMs`. */
  readonly markBatch?: number;
  readonly markDelayMs?: number;
  /**
   * At most this many sent marks wait to be written (beyond the messages in flight): past it no
   * message is handed to SMTP until marks are stored. The duplicate bound (unrecorded-window.ts).
   */
  readonly maxWaitingMarks?: number;
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
  /** The process's Sender (smtp/sender.ts): SMTP_RATE is enforced across everything that shares it. */
  readonly sender: Sender;
  /** Whether the relay can be used, shared by the workers of the process; default: one of this worker's own. */
  readonly relay?: RelayWatch | undefined;
  readonly messages: MessageSource;
}

/**
 * One delivery worker: claims batches (a lease), builds each reader's message, hands it to the
 * Sender, and records the outcome (outcome-recorder.ts). Claiming is streamed with backpressure: at
 * most about 1.5 batches are held in memory, however large the list. Handing over is bounded too:
 * never more unrecorded messages than the window (unrecorded-window.ts), and nothing while the relay
 * is down (smtp/relay-watch.ts). See README "Sending" for what it guarantees.
 */
export class DeliveryWorker {
  private readonly queue: ClaimedDelivery[] = [];
  private readonly inFlight = new Map<number, Promise<void>>();
  private readonly outcomes: OutcomeRecorder;
  private readonly relay: RelayWatch;
  private stopping = false;
  private readonly wake = new AbortController();
  private running: Promise<void> | undefined;
  private editionIds: number[] = [];
  private editionsCheckedAt = 0;
  private nextClaimAt = 0;
  private claiming: Promise<number> | undefined;
  private readonly opts: Required<Omit<WorkerOptions, 'editionId' | 'onEvent'>> & Pick<WorkerOptions, 'editionId' | 'onEvent'>;
  private readonly domain: string;

  constructor(
    private readonly deps: WorkerDeps,
    options: WorkerOptions = {},
  ) {
    const c = deps.config;
    this.opts = {
      batchSize: options.batchSize ?? c.delivery.batchSize,
      concurrency: options.concurrency ?? Math.max(2, c.smtp.maxConnections * 2),
      markBatch: options.markBatch ?? 25,
      markDelayMs: options.markDelayMs ?? 100,
      maxWaitingMarks: options.maxWaitingMarks ?? 50,
      idleMs: options.idleMs ?? 1000,
      untilDone: options.untilDone ?? false,
      name: options.name ?? 'worker',
      editionId: options.editionId,
      onEvent: options.onEvent,
    };
    this.domain = addressDomain(c.mailFrom);
    this.outcomes = new OutcomeRecorder(deps, {
      markBatch: this.opts.markBatch,
      markDelayMs: this.opts.markDelayMs,
      onEvent: this.opts.onEvent,
    });
    this.relay = deps.relay ?? new RelayWatch(deps.sender, { url: c.smtp.url ?? 'smtp://(unset)', log: deps.log });
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
      // One connection and EHLO before anything is claimed (shared by the process's workers).
      await this.relay.check();
      while (!this.stopping) {
        if (!this.relay.up) {
          // Relay down: no claims and nothing handed over (claims already held keep their leases);
          // the watch probes it and wakes us when it answers.
          await this.relay.whenUp(this.wake.signal);
          continue;
        }
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
            await this.outcomes.flush();
            if (this.opts.untilDone && this.outcomes.waitingMarks === 0 && (await this.nothingLeft())) break;
            await this.pause(this.opts.idleMs);
            continue;
          }
        }
        while (this.mayHandOver() && this.queue.length > 0 && !this.stopping && this.relay.up) {
          this.dispatch(this.queue.shift()!);
        }
        if (!this.mayHandOver()) {
          // The window is full: in flight, or marks the database has not taken yet (it may be down).
          await Promise.race([...this.inFlight.values(), this.outcomes.nextStored(), this.pause(this.opts.idleMs)]);
        }
      }
    } finally {
      clearInterval(heartbeat);
      await this.claiming;
      await Promise.allSettled(this.inFlight.values());
      const unsent = this.queue.splice(0).map((d) => d.id);
      await this.outcomes.retryDb('release', () => releaseClaims(this.deps.db, unsent), 3);
      await this.outcomes.flush(true);
    }
  }

  private mayHandOver(): boolean {
    return mayHandOver(
      { inFlight: this.inFlight.size, waitingMarks: this.outcomes.waitingMarks },
      { concurrency: this.opts.concurrency, maxMarks: this.opts.maxWaitingMarks },
    );
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
      const { claimed, skipped } = await claimDeliveries(
        this.deps.db,
        editions,
        this.opts.batchSize,
        this.deps.config.delivery.leaseSeconds,
      );
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
        if (e?.status !== 'sending') return true;
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
    const { config, log, sender } = this.deps;
    const messageId = deliveryMessageId(d.id, d.editionId, this.domain, this.deps.config.installId);
    let raw: Buffer;
    try {
      raw = await (await this.deps.messages(d.editionId))(d, messageId);
    } catch (err) {
      log.error(
        { event: 'delivery.compose_failed', delivery: d.id, edition: d.editionId, err: (err as Error).message },
        'could not build the message',
      );
      await this.outcomes.failed(d, { outcome: 'transient', hardBounce: false, reason: `compose: ${(err as Error).message}` }, messageId);
      return;
    }
    const from = config.delivery.bounceAddress ? verpAddress(config.delivery.bounceAddress, d.id) : bareAddress(config.mailFrom);
    const outcome = await sender.send({ from, to: d.email, raw });
    this.relay.note(outcome);
    if (outcome.outcome === 'sent') this.outcomes.sent(d, messageId);
    else await this.outcomes.failed(d, outcome, messageId);
  }

  private async renewLeases(): Promise<void> {
    const ids = [...this.queue.map((d) => d.id), ...this.inFlight.keys()];
    await extendLeases(this.deps.db, ids, this.deps.config.delivery.leaseSeconds).catch(() => undefined);
  }
}
