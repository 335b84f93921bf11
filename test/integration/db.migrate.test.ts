import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, migrate, migrationState, openDatabase, SchemaNewerError } from '../../src/db/index.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';

describe.each(ENGINES)('database on %s', (engine) => {
  let t: TestDatabase;
  afterEach(async () => t?.close());

  it('has every table of the data model after migrating, and migrating again applies nothing', async () => {
    t = await createTestDatabase(engine);
    const tables = await t.db.introspection.getTables();
    expect(tables.map((x) => x.name)).toEqual(
      expect.arrayContaining(['stories', 'subscribers', 'subscriber_events', 'editions', 'deliveries', 'suppressions']),
    );
    expect(await migrate(t.db)).toEqual([]);
  });

  it('refuses to migrate a database a newer release migrated, naming what it does not know', async () => {
    t = await createTestDatabase(engine);
    await sql`INSERT INTO kysely_migration (name, timestamp) VALUES ('999_from_a_newer_release', now()::text)`.execute(t.db);
    expect((await migrationState(t.db)).unknown).toEqual(['999_from_a_newer_release']);
    const refused = await migrate(t.db).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(SchemaNewerError);
    expect((refused as Error).message).toMatch(/newer release than this one \(999_from_a_newer_release not in this release's migrations\)/);
    expect((refused as Error).message).toContain('restore the backup taken before the upgrade');
  });

  it('treats emails case-insensitively for uniqueness', async () => {
    t = await createTestDatabase(engine);
    await t.db.insertInto('subscribers').values({ email: 'Reader@Example.com' }).execute();
    await expect(t.db.insertInto('subscribers').values({ email: 'reader@example.COM' }).execute()).rejects.toThrow(/unique/i);
  });

  it('refuses a state the state machine does not know', async () => {
    t = await createTestDatabase(engine);
    await expect(
      t.db
        .insertInto('subscribers')
        .values({ email: 'a@example.com', status: 'zombie' as never })
        .execute(),
    ).rejects.toThrow(/check/i);
  });

  it('returns ids and counts as numbers and dates as YYYY-MM-DD text on both engines', async () => {
    t = await createTestDatabase(engine);
    const row = await sql<{
      id: number;
      d: string;
      ids: number[];
    }>`select 42::int8 as id, '2026-03-01'::date as d, '{1,2}'::int8[] as ids`.execute(t.db);
    expect(row.rows[0]).toEqual({ id: 42, d: '2026-03-01', ids: [1, 2] });
  });

  it('rolls a failed transaction back completely', async () => {
    t = await createTestDatabase(engine);
    await expect(
      t.db.transaction().execute(async (trx) => {
        await trx.insertInto('subscribers').values({ email: 'x@example.com' }).execute();
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const count = await t.db
      .selectFrom('subscribers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(count.n).toBe(0);
  });
});

describe('embedded data directory', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('keeps data across reopen and refuses a second process while one holds it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'digest-data-'));
    dirs.push(dir);
    const first = await openDatabase({ dataDir: dir, command: 'serve' });
    await migrate(first.db);
    await first.db.insertInto('subscribers').values({ email: 'kept@example.com' }).execute();

    // A lock held by a live process (this one's parent stands in for `digest serve`).
    await first.close();
    writeFileSync(join(dir, 'digest.lock'), JSON.stringify({ pid: process.ppid, command: 'serve' }));
    await expect(openDatabase({ dataDir: dir, command: 'stories import' })).rejects.toThrow(DataDirLockedError);
    await expect(openDatabase({ dataDir: dir, command: 'stories import' })).rejects.toThrow(/POST \/api\/stories|DATABASE_URL/);

    // A lock left by a dead process is taken over.
    writeFileSync(join(dir, 'digest.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, command: 'serve' }));
    const again = await openDatabase({ dataDir: dir });
    const rows = await again.db.selectFrom('subscribers').select('email').execute();
    expect(rows).toEqual([{ email: 'kept@example.com' }]);
    await again.close();
  });
});
