import { shiftedClock } from '../config/index.js';
import type { Edition } from '../db/index.js';
import {
  deliveryCounts,
  DeliveryWorker,
  failPastCutoff,
  type DeliveryCounts,
  type WorkerDeps,
  type WorkerEvent,
} from '../delivery/index.js';
import { expireEdition, finishEditionIfDone } from './edition-state.js';

/** What a send needs: what its workers need (the process's Sender and relay watch, shared by them all). */
export type SendDeps = WorkerDeps;

export interface SendOptions {
  /** In-process workers (default WORKERS; the caller applies delivery/worker-count.ts). */
  readonly workers?: number;
  readonly onEvent?: (event: WorkerEvent) => void;
  /** Stops the send early (SIGINT): workers release their claims. */
  readonly signal?: AbortSignal;
  /** The caller's clock reading, in ms (config/clock.ts): how long until the cutoff. */
  readonly now?: number;
  readonly workerOptions?: {
    batchSize?: number;
    concurrency?: number;
    idleMs?: number;
    markBatch?: number;
    maxWaitingMarks?: number;
    pausedReleaseMs?: number;
  };
}

/**
 * Sends one edition in the foreground until nothing is left to send (retries included, bounded by
 * the cutoff), then marks it `sent`. Other processes (`digest worker`) may share the work.
 */
export async function runEdition(given: SendDeps, edition: Edition, options: SendOptions = {}): Promise<DeliveryCounts> {
  // The workers judge the cutoff by the caller's clock, not the machine's: a send whose caller
  // stands at another time (a late send, a test's injected hour) would otherwise fail every claim
  // as past its cutoff, or send past it.
  const deps: SendDeps = given.clock || options.now === undefined ? given : { ...given, clock: shiftedClock(new Date(options.now)) };
  const n = Math.max(1, options.workers ?? deps.config.workers);
  const workers = Array.from(
    { length: n },
    (_, i) =>
      new DeliveryWorker(deps, {
        ...options.workerOptions,
        editionId: edition.id,
        untilDone: true,
        name: `send-${i + 1}`,
        onEvent: options.onEvent,
      }),
  );
  const stop = () => void Promise.all(workers.map((w) => w.stop()));
  options.signal?.addEventListener('abort', stop, { once: true });
  // Past the cutoff, what is still waiting is failed rather than sent late.
  const untilCutoff = edition.cutoff_at.getTime() - (options.now ?? Date.now());
  const cutoffTimer = setTimeout(
    () => {
      void failPastCutoff(deps.db, edition.id).then(() => expireEdition(deps.db, edition.id, 'cutoff reached while sending'));
      stop();
    },
    Math.max(0, Math.min(untilCutoff, 2 ** 31 - 1)),
  );
  cutoffTimer.unref();
  try {
    await Promise.all(workers.map((w) => w.start()));
  } finally {
    clearTimeout(cutoffTimer);
    options.signal?.removeEventListener('abort', stop);
  }
  if (!options.signal?.aborted && (await finishEditionIfDone(deps.db, edition.id))) {
    const pool = deps.sender.stats?.();
    deps.log.info(
      {
        event: 'edition.sent',
        edition: edition.id,
        date: edition.date,
        slot: edition.slot,
        // How the relay was used: what to tune SMTP_MAX_CONNECTIONS by (README "Performance").
        ...(pool && {
          smtp: {
            peakConnections: pool.peakConnections,
            roundTripMs: pool.roundTripMs === undefined ? undefined : Math.round(pool.roundTripMs * 10) / 10,
            rateLimited: pool.rateLimited,
            refusedConnections: pool.refusedConnections,
          },
        }),
      },
      'edition sent',
    );
  }
  return deliveryCounts(deps.db, edition.id);
}
