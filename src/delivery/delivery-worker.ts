import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock, type Clock, type Config, type Logger } from '../config/index.js';
import type { Db } from '../db/index.js';
import { claimDeliveries, extendLeases, type ClaimedDelivery } from './claim-deliveries.js';
import { failClaimsPastCutoff, releaseClaims } from './delivery-state.js';
import { EditionWatch } from './edition-watch.js';
import { OutcomeRecorder, type WorkerEvent } from './outcome-recorder.js';
import type { MessageSource } from './message-source.js';
import { RelayWatch } from './smtp/relay-watch.js';
import type { Sender } from './smtp/sender.js';
import { replaySentJournals } from './sent-journal-replay.js';
import { mayHandOver } from './unrecorded-window.js';
import { Wakeup } from './wakeup.js';
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
  /**
   * While the relay is down longer than this, the claims waiting in the queue are released (not
   * renewed for ever): the housekeeping can then fail them past the cutoff, another process can send them.
   */
  readonly pausedReleaseMs?: number;
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
  /** Which editions may still be sent (a pause stops them), shared by the workers of the process; default: one of this worker's own. */
  readonly editions?: EditionWatch | undefined;
  readonly messages: MessageSource;
  /** What decides whether a claim is past its edition's cutoff (config/clock.ts); default: the system clock. */
  readonly clock?: Clock | undefined;
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
  private readonly editions: EditionWatch;
  /** The editions watch's generation whose stopped editions this worker has released. */
  private stopsSeen = 0;
  private stopping = false;
  private readonly wake = new AbortController();
  /** Ended when a message comes back, marks are stored, or stop() is called: the busy loop's wait. */
  private readonly wakeup = new Wakeup();
  private running: Promise<void> | undefined;
  private editionIds: number[] = [];
  private editionsCheckedAt = 0;
  private nextClaimAt = 0;
  private claiming: Promise<number> | undefined;
  private readonly opts: Required<Omit<WorkerOptions, 'editionId' | 'onEvent'>> & Pick<WorkerOptions, 'editionId' | 'onEvent'>;
  private readonly domain: string;
  /**
   * Every delivery this worker holds (queued, in flight, or sent and waiting for its mark) → when its
   * lease ends by our own reckoning (ms, measured from before the statement that set it, so never later
   * than the database's). Past it, the row may be another worker's: it is dropped, never sent.
   */
  private readonly held = new Map<number, number>();
  /** Sent, mark not yet known to be stored: renewed with the rest, and never claimed a second time. */
  private readonly marking = new Set<number>();
  /** A renewal failed (the database is away): renew at once, before anything more is claimed. */
  private renewOwed = false;
  private renewing: Promise<void> | undefined;
  private readonly clock: Clock;

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
      pausedReleaseMs: options.pausedReleaseMs ?? 30_000,
      name: options.name ?? 'worker',
      editionId: options.editionId,
      onEvent: options.onEvent,
    };
    this.domain = addressDomain(c.mailFrom);
    this.clock = deps.clock ?? systemClock;
    this.outcomes = new OutcomeRecorder(deps, {
      markBatch: this.opts.markBatch,
      markDelayMs: this.opts.markDelayMs,
      onEvent: this.opts.onEvent,
      onStored: () => this.wakeup.notify(),
    });
    this.relay = deps.relay ?? new RelayWatch(deps.sender, { url: c.smtp.url ?? 'smtp://(unset)', log: deps.log });
    this.editions = deps.editions ?? new EditionWatch(deps.db);
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
    this.wakeup.notify();
    const grace = sleep(graceMs, undefined, { ref: false });
    await Promise.race([Promise.allSettled(this.inFlight.values()), grace]);
    await this.running?.catch(() => undefined);
  }

  private async run(): Promise<void> {
    const heartbeat = setInterval(() => void this.renewLeases(), Math.max(250, (this.deps.config.delivery.leaseSeconds * 1000) / 3));
    heartbeat.unref();
    // A pause seen by another worker of the process wakes this one, to give back what it holds.
    const unwatch = this.editions.onStop(() => this.wakeup.notify());
    this.stopsSeen = this.editions.generation;
    try {
      // Before the first claim: what a killed process had sent but not recorded is marked sent, not sent again.
      await replaySentJournals(this.deps.db, this.deps.config, this.deps.log, { stopped: () => this.stopping });
      // One connection and EHLO before anything is claimed (shared by the process's workers).
      await this.relay.check();
      while (!this.stopping) {
        if (!this.relay.up) {
          // Relay down: no claims and nothing handed over; the watch probes it and wakes us when it
          // answers. Queued claims are kept for a short grace, then released (see pausedReleaseMs).
          if (await this.paused()) break;
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
              await this.wakeup.wait(this.opts.idleMs);
              continue;
            }
            await this.outcomes.flush();
            if (this.opts.untilDone && this.outcomes.waitingMarks === 0 && (await this.nothingLeft())) break;
            await this.pause(this.opts.idleMs);
            continue;
          }
        }
        // Nothing is handed over on a reading of the editions' status older than EDITION_CHECK_MS: an
        // operator's pause stops this worker within that, whatever it holds in memory.
        if (this.editions.stale) await this.editions.fresh();
        const stopped = this.takeStopped();
        const pastCutoff: ClaimedDelivery[] = [];
        while (this.mayHandOver() && this.queue.length > 0 && !this.stopping && this.relay.up) {
          const d = this.queue.shift()!;
          if (!this.stillHeld(d.id)) continue;
          if (this.clock().getTime() >= d.cutoffAt.getTime()) pastCutoff.push(d);
          else if (!this.editions.allows(d.editionId)) stopped.push(d);
          else this.dispatch(d);
        }
        // An edition stopped by its cutoff (expired) fails what was held, as the housekeeping did with the rest.
        const now = this.clock().getTime();
        for (const d of stopped.splice(0)) (now >= d.cutoffAt.getTime() ? pastCutoff : stopped).push(d);
        if (stopped.length > 0) await this.releaseStopped(stopped);
        if (pastCutoff.length > 0) await this.failPastCutoff(pastCutoff);
        if (!this.mayHandOver()) {
          // The window is full: in flight, or marks the database has not taken yet (it may be down).
          await this.wakeup.wait(this.opts.idleMs);
        }
      }
    } finally {
      clearInterval(heartbeat);
      unwatch();
      await this.claiming;
      await Promise.allSettled(this.inFlight.values());
      // Only claims still ours: one whose lease ran out may be another worker's by now.
      const unsent = this.queue
        .splice(0)
        .map((d) => d.id)
        .filter((id) => this.stillHeld(id));
      for (const id of unsent) this.held.delete(id);
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
      // Back from an outage: keep what is still ours (and drop what is not) before claiming more.
      if (this.renewOwed) {
        await this.renewLeases();
        if (this.renewOwed) throw new Error('lease renewal failed');
      }
      const editions = await this.currentEditions();
      const startedAt = Date.now();
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
      this.pruneMarking();
      this.editions.track(new Set(claimed.map((d) => d.editionId)));
      const deadline = startedAt + this.deps.config.delivery.leaseSeconds * 1000;
      for (const d of claimed) {
        // Our own lease ran out (the database was away) and the row fell due again: it is ours again,
        // with a new lease. Already queued: the new claim replaces it. In flight or sent: never twice.
        if (!this.held.has(d.id)) this.queue.push(d);
        else if (!this.inFlight.has(d.id) && !this.marking.has(d.id)) {
          const queued = this.queue.findIndex((q) => q.id === d.id);
          if (queued >= 0) this.queue[queued] = d;
          else this.queue.push(d);
        }
        this.held.set(d.id, deadline);
      }
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
    const p = this.send(d).finally(() => {
      this.inFlight.delete(d.id);
      if (!this.marking.has(d.id)) this.held.delete(d.id);
      this.wakeup.notify();
    });
    this.inFlight.set(d.id, p);
  }

  /** Whether our lease on `id` still runs (with a margin for the send to start); else forget it. */
  private stillHeld(id: number): boolean {
    const until = this.held.get(id);
    const margin = Math.min(10_000, (this.deps.config.delivery.leaseSeconds * 1000) / 10);
    if (until !== undefined && Date.now() < until - margin) return true;
    if (until !== undefined) {
      this.held.delete(id);
      this.deps.log.warn(
        { event: 'delivery.lease_lost', delivery: id },
        'claim held past its lease (database away?): dropped unsent, it will be claimed again',
      );
    }
    return false;
  }

  /**
   * Forgets the marks known to be stored. The recorder writes marks in the order they were given
   * (a failed batch goes back to the front), so when it still waits for W of them, all but the newest
   * W of ours are stored.
   */
  private pruneMarking(): void {
    for (const id of this.marking) {
      if (this.marking.size <= this.outcomes.waitingMarks) break;
      this.marking.delete(id);
      if (!this.inFlight.has(id)) this.held.delete(id);
    }
  }

  /** The queued claims of editions newly found stopped (paused, expired), taken off the queue. */
  private takeStopped(): ClaimedDelivery[] {
    if (this.editions.generation === this.stopsSeen) return [];
    this.stopsSeen = this.editions.generation;
    const taken: ClaimedDelivery[] = [];
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const d = this.queue[i]!;
      if (!this.editions.allows(d.editionId)) taken.unshift(...this.queue.splice(i, 1));
    }
    return taken;
  }

  /**
   * Claims of an edition that stopped being sent (an operator's pause) go back as they were: queued
   * or retry, their attempt given back, due at once, so a resume sends them. Never failed.
   */
  private async releaseStopped(ds: readonly ClaimedDelivery[]): Promise<void> {
    const ids = ds.map((d) => d.id).filter((id) => this.stillHeld(id));
    for (const id of ids) this.held.delete(id);
    // Not stored (database away): the rows stay `sending` and fall due again when their lease runs out.
    await this.outcomes.retryDb('release', () => releaseClaims(this.deps.db, ids), 3).catch(() => undefined);
    this.deps.log.info(
      { event: 'delivery.edition_stopped', editions: [...new Set(ds.map((d) => d.editionId))], released: ids.length },
      `edition no longer sending (paused?): ${ids.length} claim(s) given back unsent`,
    );
  }

  private async failPastCutoff(ds: readonly ClaimedDelivery[]): Promise<void> {
    const ids = ds.map((d) => d.id);
    for (const id of ids) this.held.delete(id);
    // Not stored (database away): the rows stay `sending` and the housekeeping fails them once their lease runs out.
    const stored = await this.outcomes
      .retryDb('fail_past_cutoff', () => failClaimsPastCutoff(this.deps.db, ids), 3)
      .then(
        () => true,
        () => false,
      );
    this.deps.log.warn(
      { event: 'delivery.past_cutoff', count: ids.length, stored },
      `${ids.length} claim(s) past the edition's cutoff: failed, not sent`,
    );
    if (stored) for (const d of ds) this.opts.onEvent?.({ type: 'failed', deliveryId: d.id, editionId: d.editionId, hardBounce: false });
  }

  /**
   * One turn of waiting for the relay. Returns true when an untilDone worker has nothing left to do.
   */
  private async paused(): Promise<boolean> {
    const since = Date.now();
    const up = this.relay.whenUp(this.wake.signal);
    while (!this.relay.up && !this.stopping) {
      await Promise.race([up, this.pause(Math.max(this.opts.idleMs, 50))]);
      if (this.relay.up || this.stopping) return false;
      if (this.queue.length > 0 && Date.now() - since >= this.opts.pausedReleaseMs) {
        const ids = this.queue
          .splice(0)
          .map((d) => d.id)
          .filter((id) => this.stillHeld(id));
        for (const id of ids) this.held.delete(id);
        await this.outcomes.retryDb('release', () => releaseClaims(this.deps.db, ids), 3).catch(() => undefined);
        this.deps.log.info({ event: 'delivery.paused_release', count: ids.length }, 'relay still down: queued claims released');
      }
      if (this.opts.untilDone && this.queue.length === 0 && this.inFlight.size === 0) {
        await this.outcomes.flush();
        if (this.outcomes.waitingMarks === 0 && (await this.nothingLeft())) return true;
      }
    }
    return false;
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
    if (outcome.outcome === 'sent') {
      this.marking.add(d.id);
      this.outcomes.sent(d, messageId);
    } else await this.outcomes.failed(d, outcome, messageId);
  }

  /**
   * The heartbeat: every claim still held keeps its lease, those waiting for their sent mark included
   * (re-claimed, they would be sent twice). A renewal moves our own deadline only for claims whose
   * lease was still running when it finished: one that ran out may have been claimed by another worker
   * meanwhile (the UPDATE cannot tell), so it is dropped from the queue.
   */
  private renewLeases(): Promise<void> {
    this.renewing ??= this.renew().finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  private async renew(): Promise<void> {
    this.pruneMarking();
    const ids = [...this.held.keys()];
    const startedAt = Date.now();
    try {
      await extendLeases(this.deps.db, ids, this.deps.config.delivery.leaseSeconds);
    } catch {
      this.renewOwed = true;
      return;
    }
    this.renewOwed = false;
    const endedAt = Date.now();
    const deadline = startedAt + this.deps.config.delivery.leaseSeconds * 1000;
    for (const id of ids) {
      const until = this.held.get(id);
      if (until === undefined) continue;
      if (until > endedAt) this.held.set(id, deadline);
      else if (!this.inFlight.has(id) && !this.marking.has(id)) this.held.delete(id);
    }
    // Queued claims whose lease had run out are not ours to send any more.
    for (let i = this.queue.length - 1; i >= 0; i--) if (!this.held.has(this.queue[i]!.id)) this.queue.splice(i, 1);
  }
}
