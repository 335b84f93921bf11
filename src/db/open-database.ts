import { PGlite } from '@electric-sql/pglite';
import { citext } from '@electric-sql/pglite/contrib/citext';
import { Kysely, PostgresDialect } from 'kysely';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { DataDirError, describeStorageError } from './data-dir-error.js';
import { DataDirLockedError, lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { databaseSocketPath, SOCKET_PORT } from './database-socket.js';
import { readInitdbTemplate } from './initdb-template.js';
import { DatabaseNotSetUpError } from './database-error.js';
import { probeConnection } from './probe-connection.js';
import { PGliteDialect } from './pglite-dialect.js';
import { PGliteSession } from './pglite-session.js';
import { SERVICE_SETTINGS_SQL } from './session-settings.js';
import { SERVICE_WAIT_MS } from './socket-limits.js';
import type { Database } from './schema.js';
import { pgliteParsers, pgTypes } from './type-parsers.js';

export type Engine = 'postgres' | 'pglite';

const CONNECT_TIMEOUT_MS = 10_000;
/** How long a command waits for the socket of a serve that holds DATA_DIR but is still starting. */
const SERVE_STARTING_MS = 20_000;
export type Db = Kysely<Database>;

export interface OpenDatabase {
  readonly db: Db;
  /**
   * The same database for work someone is waiting on (serve's HTTP requests). On the embedded
   * engine, while a client of DATA_DIR's socket holds the session, a query through it gives up after
   * SERVICE_WAIT_MS with DatabaseBusyError (a 503 with Retry-After) instead of waiting for the client
   * (up to DB_SOCKET_HOLD_SECONDS), which is what `db` does: background work (the scheduler, the
   * workers) has no one waiting and resumes when the client is done. Elsewhere it is `db`.
   */
  readonly requestDb: Db;
  readonly engine: Engine;
  /** The embedded engine, for callers that need its raw handle (tests: dumpDataDir). */
  readonly pglite: PGlite | undefined;
  /** The embedded engine's one session and its lock, which `serve` shares through DATA_DIR's socket. */
  readonly session: PGliteSession | undefined;
  /** True when this process reached the embedded database through the socket of the `serve` holding DATA_DIR. */
  readonly throughServer: boolean;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** postgres://… ; unset opens the embedded engine. */
  readonly url?: string | undefined;
  /** Where the embedded engine keeps its files; 'memory://' for a throw-away one. */
  readonly dataDir?: string;
  /** The command holding the data directory, for the lock file's error message. */
  readonly command?: string;
  /** A data directory dump to start from (tests), instead of running initdb. */
  readonly loadDataDir?: Blob;
  readonly poolSize?: number;
  readonly applicationName?: string;
  /** How long a connection attempt to DATABASE_URL may take (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** false: a DATA_DIR without a database is reported (DatabaseNotSetUpError), not created. Default true. */
  readonly create?: boolean;
  /** When a running `serve` holds DATA_DIR, use its database through its socket instead of failing. */
  readonly viaServer?: boolean;
  /** The initdb template a fresh DATA_DIR starts from (tests: another file); default the build's. */
  readonly initdbTemplate?: string;
  /** An embedded engine already running in memory, to use instead of starting one (tests, between tests). */
  readonly pglite?: PGlite;
}

/**
 * The one place a database client is constructed: a node-postgres pool for DATABASE_URL, or PGlite
 * under DATA_DIR behind the same Kysely interface.
 */
export async function openDatabase(options: OpenOptions): Promise<OpenDatabase> {
  if (options.url) {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      types: pgTypes,
      application_name: options.applicationName ?? 'daily-digest',
      connectionTimeoutMillis: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
    });
    // An idle client losing its server (PostgreSQL restarting) must not crash the process; the
    // pool drops it and the next query gets a fresh connection.
    pool.on('error', () => {});
    // The same for a client checked out but between statements (a transaction, the scheduler's lock
    // session): pg-pool listens only while a client is idle, and node-postgres emits the server's
    // "terminating connection" as an 'error' event, an uncaught exception with no listener. With
    // this one the holder's next statement fails instead, and the pool discards the client.
    pool.on('connect', (client) => client.on('error', () => {}));
    // One connection now, so a wrong DATABASE_URL is reported here by what is wrong with it
    // (a DatabaseError from database-error.ts), not later as whatever statement happened to run first.
    await probeConnection(pool, options.url, options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return {
      db,
      requestDb: db,
      engine: 'postgres',
      pglite: undefined,
      session: undefined,
      throughServer: false,
      close: () => db.destroy(),
    };
  }

  const inMemory = !options.dataDir || options.dataDir.startsWith('memory://');
  if (!inMemory && options.create === false && !options.loadDataDir && !existsSync(join(options.dataDir!, 'pgdata'))) {
    throw new DatabaseNotSetUpError('DATA_DIR', options.dataDir!, []);
  }
  let lock: DataDirLock | undefined;
  try {
    if (!inMemory) lock = lockDataDir(options.dataDir!, options.command ?? 'serve');
  } catch (err) {
    if (err instanceof DataDirLockedError) {
      const shared = options.viaServer ? await throughServer(options.dataDir!, err, options) : undefined;
      if (shared) return shared;
      throw err;
    }
    throw new DataDirError(options.dataDir!, describeStorageError(err));
  }
  try {
    if (!inMemory && !options.loadDataDir) await initialiseOnce(options.dataDir!, options.initdbTemplate);
    const pglite =
      options.pglite ??
      (await PGlite.create({
        ...(inMemory ? {} : { dataDir: join(options.dataDir!, 'pgdata') }),
        extensions: { citext },
        parsers: pgliteParsers,
        ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
      }).catch((err: unknown) => {
        if (inMemory || err instanceof DataDirError) throw err;
        throw new DataDirError(options.dataDir!, `${join(options.dataDir!, 'pgdata')} could not be opened (${describeStorageError(err)})`);
      }));
    // The settings the service's queries are written for, whatever the session starts with (ALTER
    // SYSTEM through the socket lasts in postgresql.auto.conf); the socket puts them back after each client.
    await pglite.exec(SERVICE_SETTINGS_SQL);
    const session = new PGliteSession(pglite);
    const db = new Kysely<Database>({ dialect: new PGliteDialect(session) });
    const requestDb = new Kysely<Database>({ dialect: new PGliteDialect(session, { waitMs: SERVICE_WAIT_MS, closesEngine: false }) });
    return {
      db,
      requestDb,
      engine: 'pglite',
      pglite,
      session,
      throughServer: false,
      close: async () => {
        await db.destroy();
        lock?.release();
      },
    };
  } catch (err) {
    lock?.release();
    throw err;
  }
}

/**
 * The embedded database of the `serve` that holds DATA_DIR, through its socket (database-socket.ts):
 * one connection, as the embedded engine is one session, and engine 'pglite' so callers keep its
 * rules (one worker; no advisory locks, which one shared session would always grant). Undefined when
 * the holder serves no socket (a CLI command holds DATA_DIR, or an older server).
 */
async function throughServer(dataDir: string, holder: DataDirLockedError, options: OpenOptions): Promise<OpenDatabase | undefined> {
  // A serve that is still starting (migrating) has the lock but not yet the socket: wait for it a little.
  const until = Date.now() + (holder.holderCommand === 'serve' ? SERVE_STARTING_MS : 0);
  while (!existsSync(databaseSocketPath(dataDir))) {
    if (Date.now() >= until) return undefined;
    await new Promise((r) => setTimeout(r, 100));
  }
  const pool = new pg.Pool({
    host: dataDir.startsWith('/') ? dataDir : join(process.cwd(), dataDir),
    port: SOCKET_PORT,
    user: 'digest',
    database: 'digest',
    max: 1,
    types: pgTypes,
    application_name: options.applicationName ?? `digest ${options.command ?? ''}`.trim(),
    connectionTimeoutMillis: 10_000,
  });
  pool.on('error', () => {});
  try {
    const client = await pool.connect();
    client.release();
  } catch {
    await pool.end().catch(() => undefined);
    return undefined;
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, requestDb: db, engine: 'pglite', pglite: undefined, session: undefined, throughServer: true, close: () => db.destroy() };
}

/**
 * The first start unpacks the build's initdb template (or runs initdb) into `pgdata.initdb` and
 * renames it to `pgdata` only once it is
 * complete, so a first start that fails half-way (disk full, killed) leaves no half-written `pgdata`
 * that every later start would abort on; the leftover is removed and the next start tries afresh.
 * Costs one extra open (about 0.35 s) on the very first start only.
 */
async function initialiseOnce(dataDir: string, templatePath?: string): Promise<void> {
  const target = join(dataDir, 'pgdata');
  if (existsSync(target)) return;
  const staging = join(dataDir, 'pgdata.initdb');
  // From the build's initdb template when there is one (initdb-template.ts); should it not load (a
  // PGlite upgraded since the build), initdb itself.
  const template = readInitdbTemplate(templatePath);
  for (const loadDataDir of template ? [template, undefined] : [undefined]) {
    rmSync(staging, { recursive: true, force: true });
    try {
      const fresh = await PGlite.create({ dataDir: staging, extensions: { citext }, ...(loadDataDir ? { loadDataDir } : {}) });
      await fresh.close();
      renameSync(staging, target);
      return;
    } catch (err) {
      try {
        rmSync(staging, { recursive: true, force: true });
      } catch {
        /* the same fault that stopped initdb may stop the clean-up; the next start removes it */
      }
      if (loadDataDir) continue;
      throw new DataDirError(dataDir, `the first start could not create the database in ${target} (${describeStorageError(err)})`);
    }
  }
}
