import type { PGlite } from '@electric-sql/pglite';

/**
 * The embedded engine's one session is shared by the service and the clients of DATA_DIR's socket
 * (pglite-session.ts), so what one of them SETs would be in force for the next. These are the
 * settings the service's queries are written for: set when the engine opens (over whatever ALTER
 * DATABASE, ALTER ROLE or ALTER SYSTEM left for a new session) and again, after DISCARD ALL, every
 * time a socket client gives the session back (database-socket.ts).
 */
const SERVICE_SETTINGS: ReadonlyArray<readonly [string, string]> = [
  ['search_path', 'public'],
  ['TimeZone', 'UTC'],
  ['DateStyle', 'ISO, MDY'],
  ['IntervalStyle', 'postgres'],
  ['client_encoding', 'UTF8'],
  ['standard_conforming_strings', 'on'],
  ['default_transaction_isolation', 'read committed'],
  ['default_transaction_read_only', 'off'],
  ['session_replication_role', 'origin'],
  ['statement_timeout', '0'],
  ['lock_timeout', '0'],
  ['idle_in_transaction_session_timeout', '0'],
  ['idle_session_timeout', '0'],
  ['transaction_timeout', '0'],
];

export const SERVICE_SETTINGS_SQL = SERVICE_SETTINGS.map(([name, value]) => `SET ${name} TO '${value}'`).join(';\n');

/**
 * Settings PGlite cannot run: their timer fires on Node's event loop between two messages, and the
 * session then ends (FATAL) inside PGlite, and the next statement, whoever sends it, never returns:
 * the whole `serve` stops.
 * Measured on PGlite 0.5.16: `BEGIN` with idle_in_transaction_session_timeout or transaction_timeout
 * at 300 ms, or idle_session_timeout at 300 ms outside a transaction, then 1 s of silence, then any
 * statement. statement_timeout and lock_timeout are harmless there: never fired (PGlite cannot
 * interrupt a running statement) and cleared when the statement ends.
 */
export const FATAL_TIMER_SETTINGS = ['idle_in_transaction_session_timeout', 'idle_session_timeout', 'transaction_timeout'] as const;

/**
 * The first of FATAL_TIMER_SETTINGS in force (not 0) in the session now, if any. Read straight from
 * PostgreSQL's GUC table (GetConfigOption, one of PGlite's wasm exports) rather than by a statement,
 * because it must work in every state of the session: inside a failed transaction, and between an
 * Execute and its Sync, where a statement of ours would be refused or would end the client's exchange.
 */
export function fatalTimerInForce(pglite: PGlite): string | undefined {
  const mod = pglite.Module as unknown as GucReader;
  for (const name of FATAL_TIMER_SETTINGS) {
    const sp = mod.stackSave();
    try {
      const value = mod.UTF8ToString(mod._GetConfigOption(mod.stringToUTF8OnStack(name), false, false));
      if (value !== '0') return name;
    } finally {
      mod.stackRestore(sp);
    }
  }
  return undefined;
}

interface GucReader {
  stackSave(): number;
  stackRestore(sp: number): number;
  stringToUTF8OnStack(s: string): number;
  UTF8ToString(ptr: number): string;
  _GetConfigOption(name: number, missingOk: boolean, restrictPrivileged: boolean): number;
}

/**
 * DISCARD ALL (settings, prepared statements, temporary tables, LISTENs, advisory locks), then the
 * service's settings. Synchronous on purpose: it runs in the same turn of the event loop as the
 * client's last message, so no timer the client armed (FATAL_TIMER_SETTINGS) can fire in between.
 * Only on an idle session (DISCARD ALL refuses to run inside a transaction).
 */
export function resetSessionSync(pglite: PGlite): void {
  pglite.execProtocolRawSync(queryMessage('DISCARD ALL'));
  pglite.execProtocolRawSync(queryMessage(SERVICE_SETTINGS_SQL));
}

/** A simple-protocol Query message. */
export function queryMessage(sql: string): Uint8Array {
  const text = Buffer.from(`${sql}\0`);
  const msg = Buffer.alloc(5 + text.length);
  msg[0] = 0x51; // Q
  msg.writeInt32BE(4 + text.length, 1);
  text.copy(msg, 5);
  return msg;
}
