import type pg from 'pg';
import { databaseConnectError } from './database-error.js';

/** Opens and returns one connection, so a DATABASE_URL that cannot be used fails here with a DatabaseError that says why. */
export async function probeConnection(pool: pg.Pool, url: string, timeoutMs: number): Promise<void> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw databaseConnectError(err, url, timeoutMs);
  }
  client.release();
}
