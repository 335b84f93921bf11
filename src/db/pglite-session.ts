import type { PGlite } from '@electric-sql/pglite';
import { DatabaseBusyError } from './database-busy-error.js';

/** Who takes the session: the service's own queries, or a client of DATA_DIR's socket. */
export type SessionHolder =
  | { readonly kind: 'service' }
  | {
      readonly kind: 'socket';
      /** The client's application_name, as shown to whoever waits for it. */
      readonly name: string;
      /** How long it may hold the session before the socket cuts it off (DB_SOCKET_HOLD_SECONDS). */
      readonly holdMs: number;
    };

export const SERVICE: SessionHolder = Object.freeze({ kind: 'service' });

/**
 * PGlite is one PostgreSQL session. Everything that talks to it — the server's own queries (the
 * Kysely driver) and the CLI's connections through the data directory's socket — takes this one lock
 * first and keeps it until the session is idle again (after COMMIT/ROLLBACK, or after a statement
 * outside a transaction). So no one's statement ever lands inside another's transaction or between
 * another's Parse and Sync. Turns are taken in order of asking.
 */
export class PGliteSession {
  private tail: Promise<void> = Promise.resolve();
  private current: { readonly holder: SessionHolder; readonly since: number } | undefined;
  constructor(readonly pglite: PGlite) {}

  /**
   * Resolves with the release function once the session is this caller's. With `waitMs`, a caller
   * that is still waiting after that long while a socket client holds the session is refused with
   * DatabaseBusyError instead (its turn is passed on unused); while the service itself holds it, the
   * caller keeps waiting, as before: the service's own work is bounded by its own code.
   */
  lock(holder: SessionHolder = SERVICE, waitMs?: number): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const previous = this.tail;
    this.tail = previous.then(() => next);
    let abandoned = false;
    const acquired = previous.then(() => {
      if (abandoned) {
        release();
        return undefined;
      }
      this.current = { holder, since: Date.now() };
      let released = false;
      return () => {
        if (released) return;
        released = true;
        this.current = undefined;
        release();
      };
    });
    if (waitMs === undefined) return acquired as Promise<() => void>;
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const check = () => {
        const busy = this.busyError();
        if (!busy) {
          timer = setTimeout(check, waitMs).unref();
          return;
        }
        abandoned = true;
        reject(busy);
      };
      timer = setTimeout(check, waitMs).unref();
      void acquired.then((r) => {
        clearTimeout(timer);
        if (r) resolve(r);
      });
    });
  }

  /** The refusal a waiting service query gets now, or undefined when no socket client holds the session. */
  private busyError(): DatabaseBusyError | undefined {
    const c = this.current;
    if (c?.holder.kind !== 'socket') return undefined;
    const now = Date.now();
    return new DatabaseBusyError(
      c.holder.name,
      Math.floor((now - c.since) / 1000),
      Math.max(1, Math.ceil((c.since + c.holder.holdMs - now) / 1000)),
    );
  }
}
