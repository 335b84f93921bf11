import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/db/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

/**
 * The suite's promise that every test has a database of its own, where a database (PostgreSQL) or an
 * embedded engine (PGlite) that a test closed is emptied and handed to the next test instead of being
 * made again: what one test leaves (rows, sequences, session settings and locks, a changed schema, an
 * open transaction) the next never sees.
 */
const identity = (t: TestDatabase) => t.url ?? t.pglite;

describe.each(['postgres', 'pglite'] as Engine[])('a test database on %s', (engine) => {
  it('is empty, with sequences restarted and a new session, after a test that wrote and set things', async () => {
    const first = await createTestDatabase(engine);
    const { id } = await first.db.insertInto('subscribers').values({ email: 'left@example.com' }).returning('id').executeTakeFirstOrThrow();
    await first.db.connection().execute(async (c) => {
      await sql`SET TIME ZONE 'Asia/Tokyo'`.execute(c);
      await sql`SELECT pg_advisory_lock(42)`.execute(c);
    });
    await first.close();

    const next = await createTestDatabase(engine);
    try {
      expect(identity(next)).toBe(identity(first)); // the same one, handed on
      expect(await next.db.selectFrom('subscribers').selectAll().execute()).toEqual([]);
      const again = await next.db.insertInto('subscribers').values({ email: 'new@example.com' }).returning('id').executeTakeFirstOrThrow();
      expect(again.id).toBe(id);
      await next.db.connection().execute(async (c) => {
        expect((await sql<{ tz: string }>`SELECT current_setting('TimeZone') AS tz`.execute(c)).rows[0]!.tz).not.toBe('Asia/Tokyo');
        const locks = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'`.execute(c);
        expect(locks.rows[0]!.n).toBe(0);
      });
    } finally {
      await next.close();
    }
  });

  it('is a new one after a test that changed the schema', async () => {
    const altered = await createTestDatabase(engine);
    await sql`ALTER TABLE subscribers ADD COLUMN leftover text`.execute(altered.db);
    await altered.close();
    const afterSchema = await createTestDatabase(engine);
    expect(identity(afterSchema)).not.toBe(identity(altered));
    const columns = (await afterSchema.db.introspection.getTables()).find((t) => t.name === 'subscribers')!.columns.map((c) => c.name);
    expect(columns).not.toContain('leftover');

    await afterSchema.close();
  });
});

describe('a test database on pglite, after a transaction left open', () => {
  it('is a new engine, not waited for beyond a bound, and what the transaction wrote is gone', async () => {
    const held = await createTestDatabase('pglite');
    void held.db.transaction().execute(async (trx) => {
      await trx.insertInto('subscribers').values({ email: 'uncommitted@example.com' }).execute();
      await new Promise<void>(() => {});
    });
    await new Promise((r) => setTimeout(r, 200));
    await held.close();
    const next = await createTestDatabase('pglite');
    try {
      expect(next.pglite).not.toBe(held.pglite);
      expect(await next.db.selectFrom('subscribers').selectAll().execute()).toEqual([]);
    } finally {
      await next.close();
    }
  });
});
