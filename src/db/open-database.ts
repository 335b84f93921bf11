import { PGlite } from '@electric-sql/pglite';
import { citext } from '@electric-sql/pglite/contrib/citext';
import { Kysely, PostgresDialect } from 'kysely';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { DataDirError, describeStorageError } from './data-dir-error.js';
import { DataDirLockedError, lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { PGliteDialect } from './pglite-dialect.js';
import type { Database } from './schema.js';
import { pgliteParsers, pgTypes } from './type-parsers.js';

export type Engine = 'postgres' | 'pglite';
export type Db = Kysely<Database>;

export interface OpenDatabase {
  readonly db: Db;
  readonly engine: Engine;
  /** The embedded engine, for callers that need its raw handle (tests: dumpDataDir). */
  readonly pglite: PGlite | undefined;
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
      connectionTimeoutMillis: 10_000,
    });
    // An idle client losing its server (PostgreSQL restarting) must not crash the process; the
    // pool drops it and the next query gets a fresh connection.
    pool.on('error', () => {});
    // The same for a client checked out but between statements (a transaction, the scheduler's lock
    // session): pg-pool listens only while a client is idle, and node-postgres emits the server's
    // "terminating connection" as an 'error' event, an uncaught exception with no listener. With
    // this one the holder's next statement fails instead, and the pool discards the client.
    pool.on('connect', (client) => client.on('error', () => {}));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, engine: 'postgres', pglite: undefined, close: () => db.destroy() };
  }

  const inMemory = !options.dataDir || options.dataDir.startsWith('memory://');
  let lock: DataDirLock | undefined;
  try {
    if (!inMemory) lock = lockDataDir(options.dataDir!, options.command ?? 'serve');
  } catch (err) {
    if (err instanceof DataDirLockedError) throw err;
    throw new DataDirError(options.dataDir!, describeStorageError(err));
  }
  try {
    if (!inMemory && !options.loadDataDir) await initialiseOnce(options.dataDir!);
    const pglite = await PGlite.create({
      ...(inMemory ? {} : { dataDir: join(options.dataDir!, 'pgdata') }),
      extensions: { citext },
      parsers: pgliteParsers,
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    }).catch((err: unknown) => {
      if (inMemory || err instanceof DataDirError) throw err;
      throw new DataDirError(options.dataDir!, `${join(options.dataDir!, 'pgdata')} could not be opened (${describeStorageError(err)})`);
    });
    const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
    return {
      db,
      engine: 'pglite',
      pglite,
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
 * The first start runs initdb into `pgdata.initdb` and renames it to `pgdata` only once it is
 * complete, so a first start that fails half-way (disk full, killed) leaves no half-written `pgdata`
 * that every later start would abort on; the leftover is removed and the next start tries afresh.
 * Costs one extra open (about 0.35 s) on the very first start only.
 */
async function initialiseOnce(dataDir: string): Promise<void> {
  const target = join(dataDir, 'pgdata');
  if (existsSync(target)) return;
  const staging = join(dataDir, 'pgdata.initdb');
  rmSync(staging, { recursive: true, force: true });
  try {
    const fresh = await PGlite.create({ dataDir: staging, extensions: { citext } });
    await fresh.close();
    renameSync(staging, target);
  } catch (err) {
    try {
      rmSync(staging, { recursive: true, force: true });
    } catch {
      /* the same fault that stopped initdb may stop the clean-up; the next start removes it */
    }
    throw new DataDirError(dataDir, `the first start could not create the database in ${target} (${describeStorageError(err)})`);
  }
}
