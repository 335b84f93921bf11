/**
 * The limits of DATA_DIR's socket (database-socket.ts), in one place. How long one client may hold
 * the database is a setting, DB_SOCKET_HOLD_SECONDS (config/env.schema.ts, default 60); these are not.
 * README "Design" describes them to operators.
 */

/**
 * How long a query of serve's HTTP requests waits while a socket client holds the session before it
 * fails with DatabaseBusyError (503 with Retry-After): OpenDatabase.requestDb. Below /healthz's own
 * 3 s bound, so the health check names the holder instead of timing out. The scheduler and the
 * workers wait for the client instead (DB_SOCKET_HOLD_SECONDS at most).
 */
export const SERVICE_WAIT_MS = 2_000;

/** A message longer than this is not one the CLI or psql sends; a frame this size is a broken or hostile client. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** A startup packet longer than this is not a PostgreSQL client's. */
export const MAX_STARTUP_BYTES = 10_000;

/** How a client's application_name is shown (logs, the 503's message): at most this many printable characters. */
export const MAX_CLIENT_NAME = 64;

/** After a client is cut off, how long its socket may take to read the FATAL before it is destroyed. */
export const CUT_OFF_LINGER_MS = 1_000;
