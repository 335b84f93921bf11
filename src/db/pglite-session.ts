import type { PGlite } from '@electric-sql/pglite';

/**
 * PGlite is one PostgreSQL session. Everything that talks to it — the server's own queries (the
 * Kysely driver) and the CLI's connections through the data directory's socket — takes this one lock
 * first and keeps it until the session is idle again (after COMMIT/ROLLBACK, or after a statement
 * outside a transaction). So no one's statement ever lands inside another's transaction or between
 * another's Parse and Sync.
 */
export class PGliteSession {
  private tail: Promise<void> = Promise.resolve();
  constructor(readonly pglite: PGlite) {}

  /** Resolves with the release function once the session is this caller's. */
  lock(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const acquired = this.tail.then(() => {
      let released = false;
      return () => {
        if (released) return;
        released = true;
        release();
      };
    });
    this.tail = this.tail.then(() => next);
    return acquired;
  }
}
