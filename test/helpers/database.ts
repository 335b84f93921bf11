import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { migrate, MIGRATIONS_DIR, openDatabase, type Db, type Engine, type OpenDatabase } from '../../src/db/index.js';

/**
 * Every test gets a database of its own, on both engines:
 * - PostgreSQL: a fresh database cloned from a migrated template (CREATE DATABASE … TEMPLATE), so tests
 *   never share state and never pay for migrations twice;
 * - PGlite: a fresh in-memory instance loaded from a dump of a migrated one (0.6 s instead of initdb).
 */
/**
 * Database-level tests run on both engines in one `npm test`. With DATABASE_URL set (.ci/run's second
 * pass) they run on PostgreSQL only, beside the service-level tests that then use it too.
 */
export const ENGINES: readonly Engine[] = process.env.DATABASE_URL ? ['postgres'] : ['postgres', 'pglite'];

/** The server the suite talks to: TEST_DATABASE_URL, else DATABASE_URL, else the machine's local one. */
export const ADMIN_URL = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** Which engine the tests that run the whole service use: .ci/run runs the suite once with each. */
export const SERVICE_ENGINE: Engine = process.env.DATABASE_URL ? 'postgres' : 'pglite';

const migrationsHash = createHash('sha256')
  .update(
    readdirSync(MIGRATIONS_DIR)
      .sort()
      .map((f) => f + readFileSync(MIGRATIONS_DIR + f, 'utf8'))
      .join('\n'),
  )
  .digest('hex')
  .slice(0, 12);

function urlFor(database: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${database}`;
  return u.toString();
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

let templateReady: Promise<string> | undefined;

/** The migrated template database, built once per migrations content (and shared across workers). */
function pgTemplate(): Promise<string> {
  templateReady ??= withAdmin(async (admin) => {
    const name = `digest_tpl_${migrationsHash}`;
    await admin.query('SELECT pg_advisory_lock(hashtext($1))', [name]);
    try {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (exists.rowCount === 0) {
        await admin.query(`CREATE DATABASE ${name}`);
        const opened = await openDatabase({ url: urlFor(name), poolSize: 1 });
        try {
          await migrate(opened.db);
        } catch (err) {
          await opened.close();
          await admin.query(`DROP DATABASE ${name}`);
          throw err;
        }
        await opened.close();
      }
    } finally {
      await admin.query('SELECT pg_advisory_unlock(hashtext($1))', [name]);
    }
    return name;
  });
  return templateReady;
}

let pgliteDump: Promise<Blob> | undefined;

function pgliteTemplate(): Promise<Blob> {
  pgliteDump ??= (async () => {
    const opened = await openDatabase({ dataDir: 'memory://' });
    await migrate(opened.db);
    const dump = await opened.pglite!.dumpDataDir('none');
    await opened.close();
    return dump;
  })();
  return pgliteDump;
}

export interface TestDatabase extends OpenDatabase {
  /** postgres://… of this test's own database (PostgreSQL only), for child processes. */
  readonly url: string | undefined;
}

/** A migrated, empty database of its own for one test. Close it in afterEach/afterAll. */
export async function createTestDatabase(engine: Engine, options: { poolSize?: number } = {}): Promise<TestDatabase> {
  if (engine === 'pglite') {
    const opened = await openDatabase({ dataDir: 'memory://', loadDataDir: await pgliteTemplate() });
    return { ...opened, url: undefined };
  }
  const template = await pgTemplate();
  const name = `digest_t_${randomBytes(6).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  const url = urlFor(name);
  const opened = await openDatabase({ url, poolSize: options.poolSize ?? 5 });
  return {
    ...opened,
    url,
    close: async () => {
      await opened.close();
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

export type { Db };
