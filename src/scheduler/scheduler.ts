import cron, { type ScheduledTask } from 'node-cron';
import { systemClock, type Clock, type Config, type Logger } from '../config/index.js';
import type { Db, Engine } from '../db/index.js';
import {
  cutoffOf,
  dueEditions,
  editionsDated,
  firstSendAt,
  prepareEdition,
  settleEditions,
  stillOpen,
  type EditionSpec,
  type PrepareOutcome,
} from '../editions/index.js';
import { purgeExpiredPending, purgeRateLimits } from '../subscribers/index.js';
import { createLeaderLock, type LeaderLock } from './leader-lock.js';

export interface SchedulerDeps {
  readonly db: Db;
  readonly engine: Engine;
  readonly config: Config;
  readonly log: Logger;
  /** Polls FEED_URLS; run before an edition is prepared, so the send has the latest stories. */
  readonly pollFeeds?: (() => Promise<void>) | undefined;
  /** Where "now" comes from (config/clock.ts); the system clock unless a test stands elsewhere. */
  readonly clock?: Clock | undefined;
}

export interface TickResult {
  readonly leader: boolean;
  readonly editions: { readonly date: string; readonly slot: string; readonly outcome: PrepareOutcome; readonly late: boolean }[];
}

const CATCH_UP_AFTER_MS = 2 * 60_000;
const PURGE_EVERY_MS = 3_600_000;

/** What /healthz reports about this instance's scheduler. */
export interface SchedulerStatus {
  readonly running: boolean;
  readonly lastTickAt: Date | null;
  readonly lastTickOk: boolean;
  readonly leader: boolean;
  readonly error?: string;
}

/**
 * Fires the send at DIGEST_CRON in DIGEST_TZ, checks every minute for readers' own hours and for
 * editions to finish or expire, and catches up on start. Creating editions happens under the leader
 * lock; the sending itself is done by every instance's workers (they claim from any `sending` edition).
 */
export class Scheduler {
  private readonly tasks: ScheduledTask[] = [];
  private readonly lock: LeaderLock;
  private ticking: Promise<TickResult> | undefined;
  private readonly reported = new Set<string>();
  private last: { at: Date; ok: boolean; leader: boolean; error?: string } | undefined;
  private lastPurge = 0;
  private readonly clock: Clock;

  constructor(private readonly deps: SchedulerDeps) {
    this.lock = createLeaderLock(deps.db, deps.engine);
    this.clock = deps.clock ?? systemClock;
  }

  start(): void {
    const { config } = this.deps;
    this.tasks.push(
      cron.schedule(config.digest.cron, () => void this.tick(this.clock(), { pollFeeds: true }), {
        timezone: config.digest.timeZone,
        name: 'digest',
        noOverlap: true,
      }),
      cron.schedule('* * * * *', () => void this.tick(this.clock()), { timezone: 'UTC', name: 'digest-minutely', noOverlap: true }),
    );
    // Catch-up: a slot missed while this instance was down is sent now if still before its cutoff.
    void this.tick(this.clock(), { pollFeeds: true });
  }

  async stop(): Promise<void> {
    for (const t of this.tasks.splice(0)) await t.destroy();
    await this.ticking?.catch(() => undefined);
  }

  /** Alive when it ticked in the last few minutes without an error (it ticks every minute). */
  status(): SchedulerStatus {
    return {
      running: this.tasks.length > 0,
      lastTickAt: this.last?.at ?? null,
      lastTickOk: this.last?.ok ?? false,
      leader: this.last?.leader ?? false,
      ...(this.last?.error ? { error: this.last.error } : {}),
    };
  }

  /** One pass: prepare what is due, finish what is done, expire what is past its cutoff. */
  tick(now: Date, options: { pollFeeds?: boolean } = {}): Promise<TickResult> {
    const previous = this.last?.at;
    const run = this.runTick(now, previous, options).then(
      (r) => {
        this.last = { at: now, ok: true, leader: r.leader };
        return r;
      },
      (err: Error) => {
        this.last = { at: now, ok: false, leader: false, error: err.message };
        this.deps.log.error({ event: 'scheduler.failed', err: err.message }, 'scheduler tick failed');
        return { leader: false, editions: [] };
      },
    );
    this.ticking = run;
    return run;
  }

  private async runTick(now: Date, previousTick: Date | undefined, options: { pollFeeds?: boolean }): Promise<TickResult> {
    const { db, config, log } = this.deps;
    const result = await this.lock.runIfLeader(async () => {
      const due = await dueEditions(db, config, now);
      const { open: fresh, existing } = await this.openSpecs(due.map((d) => d.spec));
      const firstEdition = due.some((d) => d.expired) ? await firstSendAt(db) : undefined;
      for (const d of due) {
        const key = `${d.spec.date} ${d.spec.slot}`;
        // A slot missed past its cutoff with no edition row: said in the log (once), never sent. On an
        // install that had sent nothing before that slot, nothing was missed: it is only noted.
        if (d.expired && !existing.has(key) && fresh.includes(d.spec)) {
          fresh.splice(fresh.indexOf(d.spec), 1);
          if (!this.reported.has(key)) {
            this.reported.add(key);
            if (firstEdition && firstEdition < d.spec.sendAt) {
              log.warn(
                { event: 'edition.expired', date: d.spec.date, slot: d.spec.slot },
                `edition ${key} was missed and is past its cutoff (${config.digest.cutoffHours} h): not sent`,
              );
            } else {
              log.info(
                { event: 'edition.before_first', date: d.spec.date, slot: d.spec.slot },
                `edition ${key} came before this install's first edition: not sent`,
              );
            }
          }
        }
      }
      if (fresh.length > 0 && options.pollFeeds && this.deps.pollFeeds) await this.deps.pollFeeds().catch(() => undefined);
      const editions: TickResult['editions'][number][] = [];
      for (const spec of fresh) {
        const prepared = await prepareEdition({ db, config, log }, spec, { now });
        const late = now.getTime() - spec.sendAt.getTime() > CATCH_UP_AFTER_MS;
        // Missed means this instance was not ticking at the send time. An hourly slot that came due
        // because a reader just chose that hour was never missed: it is started without a warning.
        const missed = late && (previousTick === undefined || previousTick.getTime() < spec.sendAt.getTime() - CATCH_UP_AFTER_MS);
        if (late && prepared.outcome === 'created' && !missed) {
          log.info(
            { event: 'edition.started_late', edition: prepared.edition.id, date: spec.date, slot: spec.slot, kind: spec.kind },
            `edition ${spec.date} ${spec.slot} started: its first reader came after its send time`,
          );
        } else if (late && prepared.outcome === 'created') {
          log.warn(
            {
              event: 'edition.catch_up',
              edition: prepared.edition.id,
              date: spec.date,
              slot: spec.slot,
              lateMinutes: Math.round((now.getTime() - spec.sendAt.getTime()) / 60_000),
            },
            `catching up: edition ${spec.date} ${spec.slot} was missed and is sent now, before its cutoff ${cutoffOf(config, spec.sendAt).toISOString()}`,
          );
        }
        editions.push({ date: spec.date, slot: spec.slot, outcome: prepared.outcome, late });
      }
      await this.housekeeping(now);
      return editions;
    });
    return result.leader ? { leader: true, editions: result.value } : { leader: false, editions: [] };
  }

  /** Specs whose edition can still change by itself (editions stillOpen), and the keys of those that exist. */
  private async openSpecs(specs: readonly EditionSpec[]): Promise<{ open: EditionSpec[]; existing: Set<string> }> {
    const rows = await editionsDated(
      this.deps.db,
      specs.map((s) => s.date),
    );
    const key = (r: { date: string; slot: string }) => `${r.date} ${r.slot}`;
    const settled = new Set(rows.filter((r) => !stillOpen(r)).map(key));
    return { open: specs.filter((s) => !settled.has(key(s))), existing: new Set(rows.map(key)) };
  }

  private async housekeeping(now: Date): Promise<void> {
    const { db, config, log } = this.deps;
    // Sign-ups never confirmed expire (PENDING_EXPIRY_DAYS), once an hour.
    if (now.getTime() - this.lastPurge >= PURGE_EVERY_MS) {
      this.lastPurge = now.getTime();
      const purged = await purgeExpiredPending(db, config.signup.pendingExpiryDays);
      if (purged > 0) log.info({ event: 'subscribers.pending_expired', count: purged }, 'expired unconfirmed sign-ups removed');
      await purgeRateLimits(db);
    }
    await settleEditions(db, log, now);
  }
}
