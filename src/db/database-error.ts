import { redactUrl } from '../config/index.js';

/** The setting a database error is about: the operator fixes one of these. */
export type DatabaseSetting = 'DATABASE_URL' | 'DATA_DIR';

/**
 * A database that cannot be used, said as one line that names the setting (DATABASE_URL with its
 * password hidden, or DATA_DIR), what failed, and a hint line with the likely fix.
 */
export class DatabaseError extends Error {
  constructor(
    readonly code: string,
    readonly setting: DatabaseSetting,
    readonly problem: string,
    readonly hint: string,
  ) {
    super(`${problem}\n  hint: ${hint}`);
    this.name = 'DatabaseError';
  }
}

/** What went wrong connecting, as a code, the words for it and the likely fix. */
export interface ConnectFailure {
  readonly code: string;
  readonly what: string;
  readonly hint: string;
}

interface Target {
  readonly host: string;
  readonly port: string;
  readonly user: string;
  readonly database: string;
}

function targetOf(url: string): Target {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { host: '(unparsed host)', port: '5432', user: 'postgres', database: 'postgres' };
  }
  const param = (k: string) => u.searchParams.get(k) ?? undefined;
  return {
    host: param('host') ?? (decodeURIComponent(u.hostname.replace(/^\[|\]$/g, '')) || 'localhost'),
    port: param('port') ?? (u.port || '5432'),
    user: decodeURIComponent(u.username) || param('user') || process.env.USER || 'postgres',
    database: decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || 'postgres',
  };
}

/**
 * Classifies a node-postgres connect error by its code (SQLSTATE for the server's refusals, the
 * socket's errno for the network's), never by the words of the message, except where PostgreSQL gives
 * one SQLSTATE to two causes (28000: an unknown role, or a pg_hba.conf rule).
 */
export function classifyConnectError(err: unknown, url: string, timeoutMs = 10_000): ConnectFailure {
  const t = targetOf(url);
  const at = `${t.host}:${t.port}`;
  const e = err as { code?: string; message?: string } | undefined;
  const code = e?.code ?? '';
  const message = e?.message ?? String(err);
  switch (code) {
    case 'ECONNREFUSED':
      return {
        code: 'DB_CONNECTION_REFUSED',
        what: `connection refused at ${at}: nothing is listening there`,
        hint: 'start PostgreSQL, or correct the host and port in DATABASE_URL',
      };
    case 'ENOENT': // a unix-socket host whose socket file is missing
      return {
        code: 'DB_CONNECTION_REFUSED',
        what: `no PostgreSQL socket at ${at}`,
        hint: 'start PostgreSQL, or correct the host (socket directory) and port in DATABASE_URL',
      };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return {
        code: 'DB_NO_SUCH_HOST',
        what: `no such host "${t.host}" (${code === 'EAI_AGAIN' ? 'DNS did not answer' : 'the name does not resolve'})`,
        hint: 'correct the host name in DATABASE_URL',
      };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return {
        code: 'DB_UNREACHABLE',
        what: `${at} is unreachable from here (${code})`,
        hint: 'check the host in DATABASE_URL and the network or firewall between',
      };
    case 'ETIMEDOUT':
      return timeout(at, timeoutMs);
    case '3D000':
      return {
        code: 'DB_NO_SUCH_DATABASE',
        what: `database "${t.database}" does not exist on ${at}`,
        hint: `create it (createdb -h ${t.host} -p ${t.port} -U ${t.user} ${t.database}), or correct the database name in DATABASE_URL`,
      };
    case '28000':
      return /role .* does not exist/i.test(message)
        ? {
            code: 'DB_NO_SUCH_ROLE',
            what: `role "${t.user}" does not exist on ${at}`,
            hint: `create it (CREATE ROLE "${t.user}" LOGIN PASSWORD '…'), or correct the user name in DATABASE_URL`,
          }
        : {
            code: 'DB_NOT_PERMITTED',
            what: `${at} does not let user "${t.user}" connect from here (pg_hba.conf)`,
            hint: 'allow this user and address in pg_hba.conf, or connect as a user it permits',
          };
    case '28P01':
      return {
        code: 'DB_AUTHENTICATION_FAILED',
        what: `password authentication failed for user "${t.user}" on ${at}`,
        hint: 'correct the password in DATABASE_URL (percent-encode @ : / # ? in it)',
      };
    case '53300':
      return {
        code: 'DB_TOO_MANY_CONNECTIONS',
        what: `${at} has no connection slots left`,
        hint: 'lower WORKERS, or raise max_connections on the server',
      };
    case '57P03':
      return {
        code: 'DB_STARTING',
        what: `${at} is starting up or shutting down`,
        hint: 'wait for PostgreSQL to finish starting, then try again',
      };
  }
  if (/client password must be a string|no password was provided/i.test(message)) {
    return {
      code: 'DB_AUTHENTICATION_FAILED',
      what: `${at} asks user "${t.user}" for a password and DATABASE_URL has none`,
      hint: 'add the password to DATABASE_URL (postgres://user:password@host/db)',
    };
  }
  if (/SSL|TLS|certificate/i.test(message) || /CERT|_SSL_|TLS/.test(code)) {
    return {
      code: 'DB_TLS_FAILED',
      what: `TLS with ${at} failed (${message})`,
      hint: 'make sslmode in DATABASE_URL match the server: sslmode=disable for a server without TLS, sslmode=require (or a trusted CA) for one with it',
    };
  }
  if (/timeout|timed out/i.test(message)) return timeout(at, timeoutMs);
  return {
    code: 'DB_CONNECT_FAILED',
    what: `could not connect to ${at}: ${message}`,
    hint: 'check DATABASE_URL and that PostgreSQL is running there',
  };
}

function timeout(at: string, timeoutMs: number): ConnectFailure {
  return {
    code: 'DB_CONNECT_TIMEOUT',
    what: `no answer from ${at} within ${timeoutMs / 1000} s`,
    hint: 'check the host and port in DATABASE_URL and any firewall between',
  };
}

/** The error for a DATABASE_URL that could not be connected to. */
export function databaseConnectError(err: unknown, url: string, timeoutMs?: number): DatabaseError {
  const f = classifyConnectError(err, url, timeoutMs);
  return new DatabaseError(f.code, 'DATABASE_URL', `DATABASE_URL ${redactUrl(url)}: ${f.what}`, f.hint);
}

/** A database with no tables yet (or, on the embedded engine, no database in DATA_DIR at all). */
export class DatabaseNotSetUpError extends DatabaseError {
  constructor(
    setting: DatabaseSetting,
    where: string,
    readonly pending: readonly string[],
  ) {
    super(
      'DB_NOT_SET_UP',
      setting,
      setting === 'DATA_DIR'
        ? `DATA_DIR ${where} holds no database yet`
        : `DATABASE_URL ${redactUrl(where)}: the database is empty (no migrations applied)`,
      'digest migrate creates the tables (digest serve does it too when it starts)',
    );
    this.name = 'DatabaseNotSetUpError';
  }
}

/** Migrations not yet applied where a command needs them all (send, worker, imports). */
export class MigrationsPendingError extends DatabaseError {
  constructor(
    setting: DatabaseSetting,
    where: string,
    readonly pending: readonly string[],
  ) {
    super(
      'DB_MIGRATIONS_PENDING',
      setting,
      `${setting} ${setting === 'DATABASE_URL' ? redactUrl(where) : where}: ${pending.length} migration(s) not applied (${pending.join(', ')})`,
      'run digest migrate (digest serve applies them too when it starts)',
    );
    // One line: the fix is a single command.
    this.message = `${this.problem}: run digest migrate`;
    this.name = 'MigrationsPendingError';
  }
}
