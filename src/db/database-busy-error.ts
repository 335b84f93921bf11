/**
 * The embedded database is held by a client of DATA_DIR's socket (`psql -h DATA_DIR`, a CLI command
 * beside serve) and a query of one of serve's HTTP requests gave up waiting for it (SERVICE_WAIT_MS,
 * socket-limits.ts; OpenDatabase.requestDb). The web answers 503 with Retry-After.
 */
export class DatabaseBusyError extends Error {
  readonly code = 'database_busy';
  constructor(
    /** The socket client, by its application_name ("psql", "digest status"). */
    readonly holder: string,
    readonly heldSeconds: number,
    /** When the client must have given the database back: DB_SOCKET_HOLD_SECONDS cuts it off then. */
    readonly retryAfterSeconds: number,
  ) {
    super(
      `the embedded database is held by a client of its socket in DATA_DIR (${holder}) for ${heldSeconds} s; ` +
        `it gives it back, or is cut off, within ${retryAfterSeconds} s (DB_SOCKET_HOLD_SECONDS)`,
    );
    this.name = 'DatabaseBusyError';
  }
}
