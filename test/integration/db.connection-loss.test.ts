import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

/**
 * A connection that loses its server while the code holds it between two statements (a transaction,
 * the scheduler's advisory-lock session) must not crash the process: PostgreSQL stopping sends every
 * backend "terminating connection due to administrator command", and node-postgres emits that as an
 * 'error' event on the client, which would be an uncaught exception with no listener. Here the
 * backend is ended with pg_terminate_backend (the same message, on this test's own connection only).
 */
describe('a held connection whose server goes away (postgres)', () => {
  let t: TestDatabase | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('is an error for the code holding it, not an uncaught exception, and the pool recovers', async () => {
    t = await createTestDatabase('postgres', { poolSize: 2 });
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    // vitest reports uncaught exceptions as failures; listen too, to say what happened.
    process.on('uncaughtException', onUncaught);
    try {
      const held = t.db.connection().execute(async (conn) => {
        const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(conn);
        // Another connection ends this one's backend while it is idle in our hands.
        await sql`SELECT pg_terminate_backend(${rows[0]!.pid})`.execute(t!.db);
        await new Promise((r) => setTimeout(r, 300));
        return sql`SELECT 1 AS one`.execute(conn);
      });
      await expect(held).rejects.toThrow();
      expect(uncaught).toEqual([]);
      // The pool threw the dead client away: the next queries work.
      for (let i = 0; i < 3; i++) expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(t.db)).rows).toEqual([{ one: 1 }]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});
