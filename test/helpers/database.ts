import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { migrate, MIGRATIONS_DIR, openDatabase, type Db, type Engine, type OpenDatabase } from '../../src/db/index.js';

/**
 * Every test gets a database of its own, on both engines:
 * - PostgreSQL: a database cloned from a migrated template (CREATE DATABASE … TEMPLATE), so tests
 *   never pay for migrations twice; emptied and passed to the next test of the same process
 *   (see spareDatabases);
 * - PGlite: an in-memory engine loaded from a dump of a migrated one, kept on disk for every test
 *   process; emptied and passed to the next test of the same process (see spareEngine).
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

const PGLITE_VERSION = (
  JSON.parse(readFileSync(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url), 'utf8')) as { version: string }
).version;

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

/**
 * The migrated PGlite data directory as a tarball on disk, made once per PGlite version and migrations
 * content and shared by every test process: each test file runs in a fresh process, and building it
 * (initdb, then every migration) costs about 7 s of CPU, which every file on the embedded engine paid.
 * Written to a temporary name, then renamed: two processes that build it at once both write whole files.
 */
export const PGLITE_TEMPLATE_FILE = join(
  fileURLToPath(new URL('../../node_modules/.cache/daily-digest-tests/', import.meta.url)),
  `pglite-${PGLITE_VERSION}-${migrationsHash}.tar`,
);

export async function buildPgliteTemplate(): Promise<void> {
  if (existsSync(PGLITE_TEMPLATE_FILE)) return;
  const opened = await openDatabase({ dataDir: 'memory://' });
  await migrate(opened.db);
  const dump = await opened.pglite!.dumpDataDir('none');
  await opened.close();
  mkdirSync(dirname(PGLITE_TEMPLATE_FILE), { recursive: true });
  const partial = `${PGLITE_TEMPLATE_FILE}.${process.pid}.tmp`;
  writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
  renameSync(partial, PGLITE_TEMPLATE_FILE);
}

let pgliteDump: Promise<Blob> | undefined;

function pgliteTemplate(): Promise<Blob> {
  pgliteDump ??= buildPgliteTemplate().then(() => new Blob([readFileSync(PGLITE_TEMPLATE_FILE)]));
  return pgliteDump;
}

export interface TestDatabase extends OpenDatabase {
  /** postgres://… of this test's own database (PostgreSQL only), for child processes. */
  readonly url: string | undefined;
}

/**
 * One idle embedded engine per test process, emptied after the test that used it: starting PGlite
 * costs about 1.5 s of CPU, emptying its tables a few milliseconds. A test that closed the engine
 * itself, or changed the schema or the migrations' record, leaves none behind, and the next test
 * starts a fresh one.
 */
let spareEngine: PGlite | undefined;

/** The schema as migrated, in one string: a test that changed it cannot pass its engine on. */
const SCHEMA_FINGERPRINT = `
  SELECT md5(
    coalesce((SELECT string_agg(c.relname || ':' || c.relkind::text || ':' || a.attname || ':' || a.atttypid::text || ':' || a.attnotnull::text || ':' || a.atthasdef::text, ',' ORDER BY c.relname, a.attnum)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = 'public'), '')
    || coalesce((SELECT string_agg(p.proname, ',' ORDER BY p.proname) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'), '')
    || coalesce((SELECT string_agg(t.tgname, ',' ORDER BY t.tgname) FROM pg_trigger t WHERE NOT t.tgisinternal), '')
    || coalesce((SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint), '')
    || coalesce((SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace), '')
    || coalesce((SELECT string_agg(name, ',' ORDER BY name) FROM kysely_migration), '')
  ) AS fingerprint`;

let templateFingerprint: string | undefined;

/** The tables a test writes (all but the migrations' record), quoted for TRUNCATE. */
const PUBLIC_TABLES = `
  SELECT quote_ident(c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname NOT LIKE 'kysely_migration%'`;

async function fingerprint(pglite: PGlite): Promise<string> {
  return (await pglite.query<{ fingerprint: string }>(SCHEMA_FINGERPRINT)).rows[0]!.fingerprint;
}

/** Back to the template's state: no rows, sequences restarted, the session as new. */
async function emptyEngine(pglite: PGlite): Promise<boolean> {
  try {
    await pglite.exec('ROLLBACK');
    await pglite.exec('DISCARD ALL');
    if ((await fingerprint(pglite)) !== templateFingerprint) return false;
    const tables = await pglite.query<{ name: string }>(PUBLIC_TABLES);
    if (tables.rows.length > 0) await pglite.exec(`TRUNCATE ${tables.rows.map((r) => r.name).join(', ')} RESTART IDENTITY CASCADE`);
    return true;
  } catch {
    return false;
  }
}

async function pgliteEngine(): Promise<PGlite> {
  const spare = spareEngine;
  spareEngine = undefined;
  if (spare && !spare.closed) return spare;
  const opened = await openDatabase({ dataDir: 'memory://', loadDataDir: await pgliteTemplate() });
  templateFingerprint ??= await fingerprint(opened.pglite!);
  return opened.pglite!;
}

/** A migrated, empty database of its own for one test. Close it in afterEach/afterAll. */
export async function createTestDatabase(engine: Engine, options: { poolSize?: number } = {}): Promise<TestDatabase> {
  if (engine === 'pglite') {
    const pglite = await pgliteEngine();
    const opened = await openDatabase({ dataDir: 'memory://', pglite });
    let closed = false;
    return {
      ...opened,
      url: undefined,
      close: async () => {
        if (closed) return;
        closed = true;
        // Once the session is idle (a statement still running finishes first), the engine is emptied
        // and kept for the next test, or closed.
        // A session still held after 2 s (a transaction the test left open) is not waited for.
        const release = await Promise.race([
          opened.session!.lock(),
          new Promise<undefined>((r) => setTimeout(() => r(undefined), 2_000).unref()),
        ]);
        try {
          if (release && !pglite.closed && !spareEngine && (await emptyEngine(pglite))) spareEngine = pglite;
          else if (!pglite.closed) await pglite.close();
        } finally {
          release?.();
        }
      },
    };
  }
  const name = await postgresDatabase();
  const url = urlFor(name);
  const opened = await openDatabase({ url, poolSize: options.poolSize ?? 5 });
  let closed = false;
  return {
    ...opened,
    url,
    close: async () => {
      if (closed) return;
      closed = true;
      await opened.close();
      if (spareDatabases.length < 2 && (await emptyDatabase(name))) spareDatabases.push(name);
      else await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/**
 * The PostgreSQL side of the same economy: a database a test has closed is emptied (its other
 * sessions ended, every table truncated) and handed to the next test of this process, instead of
 * DROP DATABASE and CREATE DATABASE … TEMPLATE, which copies and logs the whole template each time.
 * Names carry the run's id (DIGEST_TEST_RUN, set by test/global-setup.ts), whose teardown drops
 * what is left, spares and the databases of a test that never closed its own.
 */
const spareDatabases: string[] = [];
let postgresFingerprint: string | undefined;

async function postgresDatabase(): Promise<string> {
  const spare = spareDatabases.pop();
  if (spare) return spare;
  const template = await pgTemplate();
  const name = `digest_t_${process.env.DIGEST_TEST_RUN ?? 'x'}_${randomBytes(6).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  if (!postgresFingerprint) {
    const client = new pg.Client({ connectionString: urlFor(name) });
    await client.connect();
    try {
      postgresFingerprint = (await client.query<{ fingerprint: string }>(SCHEMA_FINGERPRINT)).rows[0]!.fingerprint;
    } finally {
      await client.end();
    }
  }
  return name;
}

async function emptyDatabase(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: urlFor(name) });
  client.on('error', () => {});
  try {
    await client.connect();
    // Child processes a test started (and killed) may still hold sessions, and their locks.
    await client.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    if ((await client.query<{ fingerprint: string }>(SCHEMA_FINGERPRINT)).rows[0]!.fingerprint !== postgresFingerprint) return false;
    const tables = await client.query<{ name: string }>(PUBLIC_TABLES);
    if (tables.rows.length > 0) await client.query(`TRUNCATE ${tables.rows.map((r) => r.name).join(', ')} RESTART IDENTITY CASCADE`);
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Drops the databases of this run that are left: called once, by test/global-setup.ts's teardown. */
export async function dropRunDatabases(run: string): Promise<void> {
  await withAdmin(async (admin) => {
    const left = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`digest_t_${run}_%`]);
    for (const { datname } of left.rows) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
  });
}

export type { Db };
