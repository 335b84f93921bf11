/**
 * Load on loopback against the real server, in-process, on a throw-away PostgreSQL database:
 *   1. 1,000 concurrent POST /subscribe, distinct and repeated addresses: no 5xx, no duplicate
 *      subscribers (rows counted), how many 429s the per-address limit gives;
 *   2. 10,000 RFC 8058 one-click unsubscribe POSTs to the /u/:token links of 10,000 active
 *      subscribers made by one INSERT … SELECT: all honoured (checked in the database);
 *   3. GET /editions/:date of a sent edition under load.
 * Figures (requests/s, p50/p99 latency, errors) are printed with the machine and written as JSON to
 * bench/results/ (git-ignored). Reports figures; asserts nothing about time.
 *
 *   npx tsx bench/load.ts        (or npm run bench:load)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, totalmem } from 'node:os';
import { sql } from 'kysely';
import { unsubscribePath } from '../src/subscribers/index.js';
import { testConfig } from '../test/helpers/config.js';
import { createTestDatabase } from '../test/helpers/database.js';
import { startTestServer } from '../test/helpers/http.js';
import { startSmtpSink } from '../test/helpers/smtp-sink.js';
import { fixtureStory } from '../test/helpers/stories.js';

/** The part of autocannon's API used here (it ships no types). */
interface Histogram {
  average: number;
  mean: number;
  p50: number;
  p99: number;
  max: number;
}
interface CannonResult {
  requests: Histogram & { total: number };
  latency: Histogram;
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
}
interface CannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}
interface CannonOptions {
  url: string;
  connections: number;
  amount?: number;
  duration?: number;
  pipelining?: number;
  timeout?: number;
  method?: string;
  headers?: Record<string, string>;
  requests?: { setupRequest: (req: CannonRequest) => CannonRequest }[];
}
interface CannonInstance extends PromiseLike<CannonResult> {
  on(event: 'response', fn: (client: unknown, statusCode: number) => void): void;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (o: CannonOptions) => CannonInstance;

async function cannon(options: CannonOptions) {
  const statuses: Record<string, number> = {};
  const instance = autocannon({ timeout: 30, ...options });
  instance.on('response', (_c, status) => (statuses[status] = (statuses[status] ?? 0) + 1));
  const r = await instance;
  return {
    requests: r.requests.total,
    requestsPerSecond: Math.round(r.requests.total / Math.max(r.duration, 0.001)),
    latencyMs: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max, mean: Math.round(r.latency.mean * 10) / 10 },
    errors: r.errors,
    timeouts: r.timeouts,
    statuses,
    seconds: r.duration,
  };
}

const machine = {
  cores: cpus().length,
  cpu: cpus()[0]?.model ?? 'unknown',
  memoryGb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  platform: process.platform,
};
console.log(`machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGb} GB, Node ${machine.node}`);

const database = await createTestDatabase('postgres', { poolSize: 20 });
const sink = await startSmtpSink();
// The per-IP limit is lifted (every request comes from 127.0.0.1); the per-address limit stays at
// its default of 5 an hour, so repeated addresses meet it.
const config = testConfig({ PUBLIC_URL: 'http://digest.test', SIGNUP_LIMIT_PER_IP: '1000000', LOG_LEVEL: 'silent' });
const server = await startTestServer(database, config, { smtpUrl: sink.url });
const { db } = database;
const results: Record<string, unknown> = {};

try {
  // 1. Sign-ups: 700 distinct addresses and 300 requests spread over 10 repeated ones (30 each).
  const bodies = Array.from({ length: 1000 }, (_, i) => (i < 700 ? `load${i}@example.com` : `repeat${i % 10}@example.com`));
  let next = 0;
  const signups = await cannon({
    url: server.url,
    connections: 1000,
    amount: 1000,
    requests: [
      {
        setupRequest: (req) => ({
          ...req,
          method: 'POST',
          path: '/subscribe',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: bodies[next++ % bodies.length], name: 'Load' }),
        }),
      },
    ],
  });
  const rows = await db
    .selectFrom('subscribers')
    .select((eb) => [eb.fn.countAll<number>().as('n'), sql<number>`count(distinct lower(email))::int`.as('distinct')])
    .executeTakeFirstOrThrow();
  const fivexx = Object.entries(signups.statuses)
    .filter(([s]) => s.startsWith('5'))
    .reduce((n, [, c]) => n + c, 0);
  results.subscribe = {
    ...signups,
    fivexx,
    rateLimited429: signups.statuses['429'] ?? 0,
    subscriberRows: rows.n,
    distinctAddresses: rows.distinct,
    expectedAddresses: 710,
  };
  console.log(
    `POST /subscribe ×1000 (1000 connections): ${signups.requestsPerSecond} req/s, p50 ${signups.latencyMs.p50} ms, p99 ${signups.latencyMs.p99} ms, statuses ${JSON.stringify(signups.statuses)}, errors ${signups.errors}; rows ${rows.n} for ${rows.distinct} distinct addresses (expected 710)`,
  );

  // 2. One-click unsubscribes: 10,000 active readers by one INSERT … SELECT, then one POST each.
  const created = await sql<{ id: number; token_version: number }>`
    INSERT INTO subscribers (email, name, status, confirmed_at)
    SELECT 'reader' || g || '@bench.example', 'Reader ' || g, 'active', now() FROM generate_series(1, 10000) AS g
    RETURNING id, token_version`.execute(db);
  const paths = created.rows.map((s) => unsubscribePath(config.keys, s));
  let nextPath = 0;
  const unsubscribes = await cannon({
    url: server.url,
    connections: 100,
    amount: paths.length,
    requests: [
      {
        setupRequest: (req) => ({
          ...req,
          method: 'POST',
          path: paths[nextPath++ % paths.length]!,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'List-Unsubscribe=One-Click',
        }),
      },
    ],
  });
  const honoured = await db
    .selectFrom('subscribers')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('email', 'like', '%@bench.example')
    .where('status', '=', 'unsubscribed')
    .executeTakeFirstOrThrow();
  const unsubscribeEvents = await db
    .selectFrom('subscriber_events')
    .innerJoin('subscribers', 'subscribers.id', 'subscriber_events.subscriber_id')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('subscribers.email', 'like', '%@bench.example')
    .where('subscriber_events.type', '=', 'unsubscribed')
    .executeTakeFirstOrThrow();
  results.unsubscribe = { ...unsubscribes, subscribers: paths.length, honoured: honoured.n, unsubscribeEvents: unsubscribeEvents.n };
  console.log(
    `POST /u/:token one-click ×${paths.length} (100 connections): ${unsubscribes.requestsPerSecond} req/s, p50 ${unsubscribes.latencyMs.p50} ms, p99 ${unsubscribes.latencyMs.p99} ms, statuses ${JSON.stringify(unsubscribes.statuses)}, errors ${unsubscribes.errors}; honoured ${honoured.n}/${paths.length}, events ${unsubscribeEvents.n}`,
  );

  // 3. "View in browser" of a sent edition.
  const storyIds: number[] = [];
  for (let i = 0; i < 15; i++) {
    const {
      id: _id,
      created_at: _c,
      modified_at: _m,
      ...row
    } = fixtureStory({
      url: `https://news.example/load-${i}`,
      kind: i < 10 ? 'story' : 'blog',
      summary: 'A typical teaser of two sentences. '.repeat(4),
    });
    storyIds.push((await db.insertInto('stories').values(row).returning('id').executeTakeFirstOrThrow()).id);
  }
  await db
    .insertInto('editions')
    .values({
      date: '2026-11-25',
      slot: '06:00',
      status: 'sent',
      send_at: '2026-11-25T06:00:00Z',
      cutoff_at: '2026-11-25T12:00:00Z',
      window_start: '2026-11-24T06:00:00Z',
      window_end: '2026-11-25T06:00:00Z',
      subject: 'Load test edition',
      story_ids: storyIds,
    })
    .execute();
  const check = await fetch(`${server.url}/editions/2026-11-25`);
  if (check.status !== 200) throw new Error(`GET /editions/2026-11-25 answered ${check.status}`);
  const pageBytes = (await check.arrayBuffer()).byteLength;
  const editions = await cannon({ url: `${server.url}/editions/2026-11-25`, connections: 50, duration: 10 });
  results.editionPage = { ...editions, pageBytes };
  console.log(
    `GET /editions/:date for 10 s (50 connections, ${Math.round(pageBytes / 1024)} KB page): ${editions.requestsPerSecond} req/s, p50 ${editions.latencyMs.p50} ms, p99 ${editions.latencyMs.p99} ms, statuses ${JSON.stringify(editions.statuses)}, errors ${editions.errors}`,
  );
} finally {
  await server.close();
  await sink.close();
  await database.close();
}

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const file = new URL(`./results/load-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, import.meta.url);
writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), machine, engine: 'postgres', results }, null, 2) + '\n');
console.log(`written to ${file.pathname}`);
