import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { migrate, MIGRATIONS_DIR, openDatabase, type Db, type Engine, type OpenDatabase } from '../../src/db/index.js';

/**
 * Every test gets a database of its own, on both engines:
 * - PostgreSQL: a fresh database cloned from a migrated template (CREATE DATABASE … TEMPLATE), so tests
 *   never share state and never pay for migrations twice;
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

async function fingerprint(pglite: PGlite): Promise<string> {
  return (await pglite.query<{ fingerprint: string }>(SCHEMA_FINGERPRINT)).rows[0]!.fingerprint;
}

/** Back to the template's state: no rows, sequences restarted, the session as new. */
async function emptyEngine(pglite: PGlite): Promise<boolean> {
  try {
    await pglite.exec('ROLLBACK');
    await pglite.exec('DISCARD ALL');
    if ((await fingerprint(pglite)) !== templateFingerprint) return false;
    const tables = await pglite.query<{ name: string }>(
      `SELECT quote_ident(c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname NOT LIKE 'kysely_migration%'`,
    );
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
