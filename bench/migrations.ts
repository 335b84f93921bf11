/**
 * `npx tsx bench/migrations.ts [--subscribers N] [--deliveries N] [--stories N] [--editions N]`
 *
 * How long each migration takes on a large database, and which locks it holds until it commits
 * (docs/upgrading.md's table). A throw-away PostgreSQL database (TEST_DATABASE_URL, DATABASE_URL or
 * the local server) gets 001_initial, is filled as a busy install would be after a year (default:
 * 100,000 readers, 1,000,000 deliveries over the last 10 editions, 100,000 stories, 365 editions of
 * about 60 KB each), then each later migration runs alone in its own transaction, timed, with the
 * locks its session holds on the service's tables just before COMMIT. `digest migrate` runs all
 * pending migrations in one transaction: a lock taken by one is held until the last has finished.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import pg from 'pg';
import { MIGRATIONS_DIR } from '../src/db/index.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? Number(process.argv[i + 1]) : fallback;
}
const SUBSCRIBERS = arg('subscribers', 100_000);
const DELIVERIES = arg('deliveries', 1_000_000);
const STORIES = arg('stories', 100_000);
const EDITIONS = arg('editions', 365);
const ADMIN_URL = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** From weakest to strongest (PostgreSQL's table-level lock modes). */
const MODES = [
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
];

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function timed<T>(what: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await what();
  return [r, performance.now() - t];
}

async function main(): Promise<void> {
  const name = `digest_migbench_${process.pid}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db = new pg.Client({ connectionString: url.toString() });
  await db.connect();
  try {
    const files = readdirSync(MIGRATIONS_DIR)
      .filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f))
      .sort();
    const sqlOf = (f: string) => readFileSync(MIGRATIONS_DIR + f, 'utf8');
    await db.query(sqlOf(files[0]!));
    const perEdition = Math.ceil(DELIVERIES / SUBSCRIBERS);
    const [, fillMs] = await timed(async () => {
      await db.query(`
        INSERT INTO subscribers (email, name, status, confirmed_at)
          SELECT 'reader' || n || '@example.com', 'Reader ' || n, CASE WHEN n % 20 = 0 THEN 'unsubscribed' ELSE 'active' END, now()
            FROM generate_series(1, ${SUBSCRIBERS}) AS n;
        INSERT INTO stories (url, kind, title, summary, published_at, source)
          SELECT 'https://news.example.com/' || n, CASE WHEN n % 4 = 0 THEN 'blog' ELSE 'story' END, 'Story ' || n,
                 repeat('A summary of the story. ', 12), now() - n * interval '5 minutes',
                 CASE WHEN n % 10 = 0 THEN '/srv/import/stories-' || (n / 1000) || '.json' ELSE 'https://feeds.example.com/' || (n % 50) END
            FROM generate_series(1, ${STORIES}) AS n;
        INSERT INTO editions (date, slot, status, send_at, window_start, window_end, subject, html, text, story_ids)
          SELECT current_date - n, '06:00', 'sent', now() - n * interval '1 day', now() - (n + 1) * interval '1 day', now() - n * interval '1 day',
                 'Daily Digest ' || n, repeat('<tr><td>a rendered story with its teaser</td></tr>', 1000), repeat('a story and its teaser ', 700),
                 ARRAY[n, n + 1, n + 2]::bigint[]
            FROM generate_series(1, ${EDITIONS}) AS n;
        INSERT INTO deliveries (edition_id, subscriber_id, status, attempts, next_attempt_at, message_id, sent_at)
          SELECT e.id, s.id, 'sent', 1, now(), '<digest.' || e.id || '.' || s.id || '@example.com>', now()
            FROM (SELECT id FROM editions ORDER BY send_at DESC LIMIT ${perEdition}) e CROSS JOIN subscribers s;
        INSERT INTO subscriber_events (subscriber_id, type) SELECT id, 'confirmed' FROM subscribers;`);
      await db.query('VACUUM ANALYZE');
      await db.query('CHECKPOINT');
    });
    const counts = (
      await db.query<{ t: string; n: string }>(`
        SELECT 'subscribers' AS t, count(*)::text AS n FROM subscribers UNION ALL SELECT 'deliveries', count(*)::text FROM deliveries
        UNION ALL SELECT 'stories', count(*)::text FROM stories UNION ALL SELECT 'editions', count(*)::text FROM editions`)
    ).rows;
    const size = (await db.query<{ s: string }>('SELECT pg_size_pretty(pg_database_size(current_database())) AS s')).rows[0]!.s;
    console.log(
      `PostgreSQL ${(await db.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version}, ${cpus().length} cores; ` +
        `${counts.map((c) => `${Number(c.n).toLocaleString('en')} ${c.t}`).join(', ')}; ${size}; filled in ${seconds(fillMs)}\n`,
    );
    console.log('| migration | time | locks held until COMMIT (strongest per table) |');
    console.log('|---|---|---|');
    for (const f of files.slice(1)) {
      await db.query('BEGIN');
      const [, ms] = await timed(() => db.query(sqlOf(f)));
      const locks = await db.query<{ relname: string; mode: string }>(`
        SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
         WHERE l.pid = pg_backend_pid() AND c.relkind IN ('r', 'p') AND c.relnamespace = 'public'::regnamespace`);
      await db.query('COMMIT');
      const strongest = new Map<string, string>();
      for (const l of locks.rows) {
        const had = strongest.get(l.relname);
        if (!had || MODES.indexOf(l.mode) > MODES.indexOf(had)) strongest.set(l.relname, l.mode);
      }
      const described = [...strongest].map(([t, m]) => `${t}: ${m.replace(/Lock$/, '')}`).join(', ');
      console.log(`| ${f.replace(/\.sql$/, '')} | ${seconds(ms)} | ${described || 'none'} |`);
    }
  } finally {
    await db.end();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

await main();
