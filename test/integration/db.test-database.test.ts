import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/database.js';

/**
 * The suite's promise that every test has a database of its own, on the embedded engine, where one
 * idle engine is emptied and passed to the next test instead of starting PGlite again: what one test
 * leaves (rows, sequences, session settings, a changed schema, an open transaction) the next never sees.
 */
describe('a test database on the embedded engine', () => {
  it('is empty, with sequences restarted and a new session, after a test that wrote and set things', async () => {
    const first = await createTestDatabase('pglite');
    const { id } = await first.db.insertInto('subscribers').values({ email: 'left@example.com' }).returning('id').executeTakeFirstOrThrow();
    await sql`SET TIME ZONE 'Asia/Tokyo'`.execute(first.db);
    await sql`SELECT pg_advisory_lock(42)`.execute(first.db);
    await first.close();

    const next = await createTestDatabase('pglite');
    try {
      expect(next.pglite).toBe(first.pglite); // the same engine, passed on
      expect(await next.db.selectFrom('subscribers').selectAll().execute()).toEqual([]);
      const again = await next.db.insertInto('subscribers').values({ email: 'new@example.com' }).returning('id').executeTakeFirstOrThrow();
      expect(again.id).toBe(id);
      expect((await sql<{ tz: string }>`SELECT current_setting('TimeZone') AS tz`.execute(next.db)).rows[0]!.tz).toBe('UTC');
      const locks = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'`.execute(next.db);
      expect(locks.rows[0]!.n).toBe(0);
    } finally {
      await next.close();
    }
  });

  it('is a fresh engine after a test that changed the schema, or left a transaction open', async () => {
    const altered = await createTestDatabase('pglite');
    await sql`ALTER TABLE subscribers ADD COLUMN leftover text`.execute(altered.db);
    await altered.close();
    const afterSchema = await createTestDatabase('pglite');
    expect(afterSchema.pglite).not.toBe(altered.pglite);
    expect(altered.pglite!.closed).toBe(true);
    const columns = (await afterSchema.db.introspection.getTables()).find((t) => t.name === 'subscribers')!.columns.map((c) => c.name);
    expect(columns).not.toContain('leftover');

    // A transaction the test never ended: its session is not waited for beyond a bound, nor passed on.
    const trx = afterSchema.db.transaction().execute(() => new Promise<void>(() => {}));
    void trx;
    await new Promise((r) => setTimeout(r, 50));
    await afterSchema.close();
    const afterTransaction = await createTestDatabase('pglite');
    try {
      expect(afterTransaction.pglite).not.toBe(afterSchema.pglite);
      expect(await afterTransaction.db.selectFrom('subscribers').selectAll().execute()).toEqual([]);
    } finally {
      await afterTransaction.close();
    }
  });
});
