import { PGlite } from '@electric-sql/pglite';
import { citext } from '@electric-sql/pglite/contrib/citext';
import { Kysely, PostgresDialect } from 'kysely';
import { join } from 'node:path';
import pg from 'pg';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
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
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, engine: 'postgres', pglite: undefined, close: () => db.destroy() };
  }

  const inMemory = !options.dataDir || options.dataDir.startsWith('memory://');
  let lock: DataDirLock | undefined;
  if (!inMemory) lock = lockDataDir(options.dataDir!, options.command ?? 'serve');
  try {
    const pglite = await PGlite.create({
      ...(inMemory ? {} : { dataDir: join(options.dataDir!, 'pgdata') }),
      extensions: { citext },
      parsers: pgliteParsers,
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
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
