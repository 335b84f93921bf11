import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../src/db/index.js';
import { runDigest } from '../helpers/cli.js';
import { ADMIN_URL, createTestDatabase, type TestDatabase } from '../helpers/database.js';

const SECRET = 'migrations-secret-0123456789';
const feed = new URL('../fixtures/feeds/blogs.atom', import.meta.url).pathname;
const LAST = readdirSync(MIGRATIONS_DIR)
  .filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f))
  .sort()
  .at(-1)!
  .replace(/\.sql$/, '');

async function tableCount(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ n: number }>("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'");
    return r.rows[0]!.n;
  } finally {
    await c.end();
  }
}

/**
 * Only serve and digest migrate change the schema. Read-only commands never do (status reports what is
 * pending); commands that write refuse a database that is not migrated, naming the command that fixes it.
 */
describe('migrations only where they belong', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('an empty PostgreSQL database: status and send refuse without creating anything; migrate sets it up', async () => {
    const name = `digest_empty_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    cleanups.push(async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    });
    const u = new URL(ADMIN_URL);
    u.pathname = `/${name}`;
    const env = { DATABASE_URL: u.toString(), SECRET };

    for (const args of [['status'], ['top'], ['send', '--dry-run'], ['worker'], ['stories', 'import', feed]]) {
      const r = await runDigest(args, env);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(
        /^digest: DATABASE_URL postgres:\/\/.*: the database is empty \(no migrations applied\)\n {2}hint: digest migrate creates the tables/,
      );
    }
    expect(await tableCount(env.DATABASE_URL)).toBe(0); // not even kysely's migration table

    const migrated = await runDigest(['migrate'], env);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stdout).toContain(LAST);
    const status = await runDigest(['status'], env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/migrations: up to date \(\d+ applied\)/);
  });

  it('a pending migration: status names it and exits 1, send, worker and the imports refuse in one line, top warns and works', async () => {
    const t: TestDatabase = await createTestDatabase('postgres');
    cleanups.push(() => t.close());
    const env = { DATABASE_URL: t.url!, SECRET };
    // As if the code were one migration ahead of the database.
    await t.db
      .deleteFrom('kysely_migration' as never)
      .where('name' as never, '=', LAST as never)
      .execute();

    const status = await runDigest(['status'], env);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain(`migrations: 1 pending (${LAST}): run digest migrate`);
    expect(status.stdout).toMatch(/retry queue: 0/); // the rest of the report is still there

    for (const args of [['send', '--dry-run'], ['worker'], ['stories', 'import', feed], ['subscribers', 'import', feed]]) {
      const r = await runDigest(args, env);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim(), args.join(' ')).toMatch(
        new RegExp(`^digest: DATABASE_URL postgres://\\S+: 1 migration\\(s\\) not applied \\(${LAST}\\): run digest migrate$`),
      );
    }

    const top = await runDigest(['top', '--json'], env);
    expect(top.code, top.stderr).toBe(0);
    expect(top.stderr).toContain(`1 migration(s) not applied (${LAST}): run digest migrate`);

    // Rolled back to a release older than the database (a newer one migrated it): every command,
    // migrate included, refuses with the way out, and changes nothing.
    await t.db
      .insertInto('kysely_migration' as never)
      .values({ name: '999_from_a_newer_release', timestamp: new Date().toISOString() } as never)
      .execute();
    for (const args of [['status'], ['migrate'], ['send', '--dry-run']]) {
      const r = await runDigest(args, env);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(
        /^digest: the database was migrated by a newer release than this one \(999_from_a_newer_release /,
      );
      expect(r.stderr, args.join(' ')).toContain('hint: run that release again, or restore the backup');
    }
    await t.db
      .deleteFrom('kysely_migration' as never)
      .where('name' as never, '=', '999_from_a_newer_release' as never)
      .execute();

    // Still pending: nothing above migrated.
    const again = await runDigest(['status', '--json'], env);
    expect((JSON.parse(again.stdout) as { migrations: { pending: string[] } }).migrations.pending).toEqual([LAST]);
  });

  it('a brand-new DATA_DIR: status and send say there is no database and create none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'digest-fresh-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const dataDir = join(dir, 'data');
    for (const args of [['status'], ['send', '--dry-run'], ['subscribers', 'export']]) {
      const r = await runDigest(args, { DATA_DIR: dataDir, SECRET });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toEqual([
        `digest: DATA_DIR ${dataDir} holds no database yet`,
        '  hint: digest migrate creates the tables (digest serve does it too when it starts)',
      ]);
    }
    expect(existsSync(dataDir)).toBe(false);
  });
});
