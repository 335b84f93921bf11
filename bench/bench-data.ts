/**
 * The benchmark's throw-away databases: one per run (PostgreSQL from the admin URL's server, or
 * PGlite in a temporary directory), filled with N active readers and a day of stories.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { migrate, openDatabase, type Db } from '../src/db/index.js';

export type Engine = 'postgres' | 'pglite';

/** The edition's clock: the slot is two minutes ago, so the send is due now and its 6 h cutoff is far away. */
export function editionClock(now = Date.now()) {
  const sendAt = new Date(Math.floor((now - 120_000) / 60_000) * 60_000);
  return { sendAt, date: sendAt.toISOString().slice(0, 10), cron: `${sendAt.getUTCMinutes()} ${sendAt.getUTCHours()} * * *` };
}

export async function admin<T>(adminUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export interface BenchDatabase {
  readonly engine: Engine;
  readonly name: string;
  /** PostgreSQL's URL; undefined for PGlite. */
  readonly url: string | undefined;
  /** DATA_DIR of the sender (PGlite's data lives there). */
  readonly dataDir: string;
  open(): ReturnType<typeof openDatabase>;
  /** Drops the database and removes the data directory. */
  drop(): Promise<void>;
}

/** A new, migrated, empty database named `digest_bench_<tag>_<pid>_<time>`. */
export async function createBenchDatabase(engine: Engine, adminUrl: string, tag: string): Promise<BenchDatabase> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `digest-bench-${tag}-`));
  const name = `digest_bench_${tag}_${process.pid}_${Date.now().toString(36)}`;
  const url =
    engine === 'postgres'
      ? (() => {
          const u = new URL(adminUrl);
          u.pathname = `/${name}`;
          return u.toString();
        })()
      : undefined;
  if (url) await admin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const open = () => (url ? openDatabase({ url, poolSize: 2 }) : openDatabase({ dataDir, command: 'bench' }));
  const opened = await open();
  try {
    await migrate(opened.db);
  } finally {
    await opened.close();
  }
  return {
    engine,
    name,
    url,
    dataDir,
    open,
    async drop() {
      if (url) await admin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** N active readers (a tenth chose only top stories, so two renderings run) and a day of stories. */
export async function fill(db: Db, n: number, sendAt: Date): Promise<void> {
  const chunk = 250_000;
  for (let from = 1; from <= n; from += chunk) {
    const to = Math.min(n, from + chunk - 1);
    await sql`
      INSERT INTO subscribers (email, name, status, confirmed_at, sections)
      SELECT 'reader' || i || '@bench.example',
             CASE WHEN i % 3 = 0 THEN NULL WHEN i % 7 = 0 THEN 'Zoë "Reader" ' || i ELSE 'Reader ' || i END,
             'active', now(),
             CASE WHEN i % 10 = 0 THEN ARRAY['stories'] ELSE ARRAY['stories', 'blogs'] END
        FROM generate_series(${from}::int, ${to}::int) AS i`.execute(db);
  }
  const date = sendAt.toISOString().slice(0, 10);
  const rows = Array.from({ length: 240 }, (_, i) => ({
    url: `https://news.example.com/${date}/story-${i}`,
    kind: (i % 6 === 5 ? 'blog' : 'story') as 'blog' | 'story',
    title: `Story ${i}: a headline of a typical length for a news digest, about seventy characters`,
    summary: 'A typical teaser of two sentences, long enough to wrap on a phone. '.repeat(3),
    byline: 'Bench Wire',
    image_url: i % 4 === 0 ? `https://img.example.com/${i}.jpg` : null,
    published_at: new Date(sendAt.getTime() - (1 + i * 5) * 60_000),
    votes: (i * 37) % 500,
    comments: (i * 11) % 90,
  }));
  await db.insertInto('stories').values(rows).execute();
}

/** How many deliveries have each status. */
export async function deliveryCounts(db: Db): Promise<{ status: string; n: number }[]> {
  return (await sql<{ status: string; n: number }>`SELECT status, count(*)::int AS n FROM deliveries GROUP BY status`.execute(db)).rows;
}
