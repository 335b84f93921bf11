import { sql } from 'kysely';
import type { Db } from '../db/index.js';

/** How old a reading of the editions' status may be when a worker hands a message over. */
export const EDITION_CHECK_MS = 200;

/** How long an edition nobody claimed from stays on the list that is read. */
const FORGET_MS = 5 * 60_000;

/**
 * Which editions the workers of a process may still hand messages of to the relay, shared by them
 * all (as the relay watch is). The claim stops claiming a paused edition, but a worker holds up to
 * 1.5 batches in memory: without this it sent them all after the pause (thousands, on a slow relay).
 * So a worker hands a message over only while its edition was read as `sending` less than `everyMs`
 * ago: a pause (or an expiry) stops every process within that, and its claims still in memory go
 * back to the queue untouched.
 *
 * The reading is one primary-key lookup of the editions the process holds claims of, made only while
 * it hands messages over: at most five a second per process, whatever the send rate. A worker pays a
 * Set lookup per message. Rejected: LISTEN/NOTIFY (a dedicated connection per process to keep alive
 * across restarts, and nothing like it through the embedded engine's socket); a status read per
 * message (a query for every mail at thousands a second).
 */
export class EditionWatch {
  /** Editions a worker of this process claimed from → when it last did. */
  private readonly tracked = new Map<number, number>();
  /** Tracked editions that were not `sending` at the last reading. */
  private stopped = new Set<number>();
  private readAt = Number.NEGATIVE_INFINITY;
  /** An edition was tracked since the last reading began (a new one, or one read as stopped). */
  private unread = false;
  private reading: Promise<void> | undefined;
  private readonly listeners = new Set<() => void>();
  /** Bumped each time a tracked edition is newly found stopped: workers compare it with the one they acted on. */
  private stops = 0;

  constructor(
    private readonly db: Db,
    private readonly everyMs = EDITION_CHECK_MS,
  ) {}

  /**
   * Editions a claim just returned rows of. One the process has not read yet, or read as stopped (a
   * resume), is read before the next message is handed over.
   */
  track(editionIds: Iterable<number>): void {
    const now = Date.now();
    for (const id of editionIds) {
      if (!this.tracked.has(id) || this.stopped.has(id)) this.unread = true;
      this.tracked.set(id, now);
    }
  }

  /** Whether messages of `id` may be handed over, by the last reading. The hot path: a Set lookup. */
  allows(editionId: number): boolean {
    return !this.stopped.has(editionId);
  }

  /** Changes each time an edition is newly found stopped. */
  get generation(): number {
    return this.stops;
  }

  /** The last reading is too old to hand a message over on. */
  get stale(): boolean {
    return this.unread || Date.now() - this.readAt >= this.everyMs;
  }

  /**
   * Reads the statuses again when the last reading is stale. Workers share one reading; a database
   * that cannot be reached leaves the last one standing (it cannot have stored a pause either).
   */
  async fresh(): Promise<void> {
    // Twice at most: a reading already under way may have begun before the edition that made it stale was tracked.
    for (let i = 0; i < 2 && this.stale; i++) {
      this.reading ??= this.read().finally(() => (this.reading = undefined));
      await this.reading;
    }
  }

  /** Calls `listener` when an edition is newly found stopped (a worker waiting on its relay wakes); returns the unsubscribe. */
  onStop(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async read(): Promise<void> {
    const startedAt = Date.now();
    this.unread = false;
    for (const [id, at] of this.tracked) if (startedAt - at > FORGET_MS) this.tracked.delete(id);
    const ids = [...this.tracked.keys()];
    try {
      const rows =
        ids.length === 0
          ? []
          : (
              await sql<{ id: number }>`
                SELECT id FROM editions WHERE id = ANY(${sql.val(ids)}::bigint[]) AND status = 'sending'`.execute(this.db)
            ).rows;
      const sending = new Set(rows.map((r) => Number(r.id)));
      const stopped = new Set(ids.filter((id) => !sending.has(id)));
      const newly = [...stopped].some((id) => !this.stopped.has(id));
      this.stopped = stopped;
      if (newly) {
        this.stops += 1;
        for (const l of this.listeners) l();
      }
    } catch {
      // The database is away: keep the last reading, and try again after everyMs rather than at every message.
    }
    this.readAt = startedAt;
  }
}
