import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type OpenDatabase } from '../../src/db/index.js';
import { ADMIN_URL } from './database.js';

/**
 * An empty database with no migrations at all, for building an old release's schema (the suite's
 * template databases are already at today's): on PostgreSQL a database of its own, dropped on close.
 */
export async function emptyPostgres(): Promise<OpenDatabase & { readonly url: string }> {
  const name = `digest_up_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string) => {
    const c = new pg.Client({ connectionString: ADMIN_URL });
    await c.connect();
    try {
      await c.query(statement);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  const opened = await openDatabase({ url, poolSize: 4 });
  return {
    ...opened,
    url,
    close: async () => {
      await opened.close();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** A client of its own on `url`, for holding a lock or reading pg_locks while the pool is busy. */
export async function rawClient(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}
