/**
 * `npm run bench -- [--subscribers N] [--engine pg|pglite] [--sample N] [--connections N] [--only startup|send] [--runs N]`
 *
 * First the start-up times (bench/startup.ts; alone with `--only startup`), then the send (alone
 * with `--only send`). The send is one run, side by side on the same machine and data:
 *   1. a throw-away database (PostgreSQL from DATABASE_URL or the local server; PGlite on request)
 *      filled with N active readers and a day of stories (one INSERT … SELECT over generate_series);
 *   2. an SMTP sink on loopback in its own process (bench/sink.ts), counting per recipient;
 *   3. the real send path: `node bin/digest.js send`, the command users run, timed per stage, with
 *      the sender's peak RSS and the CPU PostgreSQL spent;
 *   4. on a sample of the same readers: the naive way (MJML per reader, sendMail awaited one at a
 *      time over one connection) and the wire limit (bench/wire-client.ts);
 *   5. one table, and the same as JSON in bench/results/ with the machine and the commit.
 * It also checks that every reader got exactly one message.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { loadConfig } from '../src/config/index.js';
import { migrate, openDatabase, type Db } from '../src/db/index.js';
import { deliveryMessageId } from '../src/delivery/index.js';
import { compileMessageTemplate, personalise, renderEdition } from '../src/render/index.js';
import { preferencesUrl, unsubscribeUrl } from '../src/subscribers/index.js';
import { startupBench } from './startup.js';
import { sendAtWireLimit, type WireMessage } from './wire-client.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

// ---------------------------------------------------------------- arguments
function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const N = Number(arg('subscribers', '100000'));
const ENGINE = arg('engine', 'pg') === 'pglite' ? 'pglite' : 'postgres';
const SAMPLE = Math.min(N, Number(arg('sample', '2000')));
const CONNECTIONS = Number(arg('connections', '8'));
const ADMIN_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
if (!Number.isInteger(N) || N < 1) throw new Error('--subscribers must be a positive integer');
const ONLY = arg('only', 'all');
if (!['all', 'startup', 'send'].includes(ONLY)) throw new Error('--only is startup or send');

// ---------------------------------------------------------------- start-up (bench/startup.ts)
// First, as it is quick: how long `digest --help`, `status` and `npm start` take. It builds dist/
// from today's sources, which the send below runs too.
if (ONLY !== 'send') await startupBench({ runs: Number(arg('runs', '5')) });
else execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit' });
if (ONLY === 'startup') process.exit(0);

const log = (s: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);

// ---------------------------------------------------------------- the edition's clock
// The slot is two minutes ago, so the send is due now and its 6 h cutoff is far away.
const sendAt = new Date(Math.floor((Date.now() - 120_000) / 60_000) * 60_000);
const date = sendAt.toISOString().slice(0, 10);
const cron = `${sendAt.getUTCMinutes()} ${sendAt.getUTCHours()} * * *`;

// ---------------------------------------------------------------- database
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'digest-bench-'));
const dbName = `digest_bench_${process.pid}_${Date.now().toString(36)}`;
const dbUrl = (() => {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${dbName}`;
  return u.toString();
})();

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function openBenchDb() {
  if (ENGINE === 'postgres') return openDatabase({ url: dbUrl, poolSize: 2 });
  return openDatabase({ dataDir, command: 'bench' });
}

/** N active readers (a tenth chose only top stories, so two renderings run) and a day of stories. */
async function fill(db: Db): Promise<void> {
  const chunk = 250_000;
  for (let from = 1; from <= N; from += chunk) {
    const to = Math.min(N, from + chunk - 1);
    await sql`
      INSERT INTO subscribers (email, name, status, confirmed_at, sections)
      SELECT 'reader' || i || '@bench.example',
             CASE WHEN i % 3 = 0 THEN NULL WHEN i % 7 = 0 THEN 'Zoë "Reader" ' || i ELSE 'Reader ' || i END,
             'active', now(),
             CASE WHEN i % 10 = 0 THEN ARRAY['stories'] ELSE ARRAY['stories', 'blogs'] END
        FROM generate_series(${from}::int, ${to}::int) AS i`.execute(db);
  }
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

// ---------------------------------------------------------------- processes
function startSink(): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(path.join(ROOT, 'bench/sink.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { type: string; port: number }) => resolve({ child, port: m.port }));
    child.once('exit', (code) => reject(new Error(`sink exited (${code})`)));
  });
}

interface SinkStats {
  messages: number;
  recipients: number;
  distinct: number;
  duplicates: number;
  bytes: number;
  cpu: NodeJS.CpuUsage;
}

function ask<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: { type: string }) => {
      if (m.type !== type) return;
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
    child.send({ type });
  });
}

/** CPU seconds (user + system) of a process, from /proc. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks: 100 per second on Linux
  } catch {
    return undefined;
  }
}

function procStatus(pid: number, key: string): number | undefined {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Every PostgreSQL server process on this machine (backends, WAL writer, checkpointer, autovacuum). */
function postgresPids(): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'postgres') pids.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return pids;
}

/**
 * PostgreSQL's CPU during the send: every postgres process is sampled each second; the sum of what
 * each one used between its first and last sample (a backend born during the run counts from 0).
 * That includes the WAL writer and checkpointer the send's writes cause, and anything else the
 * server did meanwhile: run the benchmark on an otherwise idle server.
 */
class PgCpu {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  constructor() {
    for (const pid of postgresPids()) {
      const c = cpuSeconds(pid);
      if (c !== undefined) this.first.set(pid, c);
    }
  }
  sample(): void {
    for (const pid of postgresPids()) {
      const c = cpuSeconds(pid);
      if (c === undefined) continue;
      if (!this.first.has(pid)) this.first.set(pid, 0);
      this.last.set(pid, c);
    }
  }
  seconds(): number {
    let s = 0;
    for (const [pid, c] of this.last) s += c - (this.first.get(pid) ?? 0);
    return s;
  }
}

interface SendRun {
  wallMs: number;
  prepareMs: number;
  sendingMs: number;
  timings: { pickMs: number; renderMs: number; deliveriesMs: number };
  deliveries: number;
  peakRssBytes: number;
  rssAt: { done: number; rss: number }[];
  senderCpuS: number;
  pgCpuS: number;
  exitCode: number | null;
  summary: string;
}

async function runDigestSend(sinkPort: number, sink: ChildProcess): Promise<SendRun> {
  const env = {
    ...process.env,
    DATA_DIR: dataDir,
    SMTP_URL: `smtp://127.0.0.1:${sinkPort}`,
    PUBLIC_URL: 'https://digest.example.com',
    SECRET: 'bench-secret-0123456789abcdef',
    DIGEST_CRON: cron,
    DIGEST_TZ: 'UTC',
    LOG_LEVEL: 'info',
    MAIL_FROM: 'The Bench Post <digest@bench-sender.example>',
  } as NodeJS.ProcessEnv;
  if (ENGINE === 'postgres') env.DATABASE_URL = dbUrl;
  else delete env.DATABASE_URL;
  const pgCpu = new PgCpu();
  const t0 = performance.now();
  const startedAt = Date.now();
  // The `digest` command as `npx digest send` runs it (bin/digest: the heap settings of the bulk
  // senders included); BENCH_NODE_ARGS instead runs bin/digest.js under `node` with those flags.
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean);
  const child = nodeArgs
    ? spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'bin/digest.js'), 'send', '--date', date], {
        env,
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn(path.join(ROOT, 'bin/digest'), ['send', '--date', date], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let preparedAt = 0;
  let sentAt = 0;
  let timings = { pickMs: 0, renderMs: 0, deliveriesMs: 0 };
  let deliveries = 0;
  let stdout = '';
  let errTail = '';
  let buffered = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  const stderrLog = path.join(ROOT, 'bench/results/last-send.stderr.log');
  mkdirSync(path.dirname(stderrLog), { recursive: true });
  writeFileSync(stderrLog, '');
  child.stderr!.on('data', (b: Buffer) => {
    appendFileSync(stderrLog, b);
    buffered += b.toString();
    for (let eol = buffered.indexOf('\n'); eol >= 0; eol = buffered.indexOf('\n')) {
      const line = buffered.slice(0, eol);
      buffered = buffered.slice(eol + 1);
      try {
        const j = JSON.parse(line) as {
          event?: string;
          kind?: string;
          time: number;
          timings?: typeof timings;
          deliveries?: number;
          level?: number;
          slot?: string;
        };
        // The daily edition's own log lines (a weekly edition for nobody may follow it).
        if (j.event === 'edition.sending' && j.kind === 'daily') {
          preparedAt = j.time;
          timings = j.timings ?? timings;
          deliveries = j.deliveries ?? 0;
        }
        if (j.event === 'edition.sent' && !j.slot?.startsWith('weekly') && !sentAt) sentAt = j.time;
        if ((j.level ?? 0) >= 40) errTail = (errTail + line + '\n').slice(-4000);
      } catch {
        // the progress line
      }
    }
  });
  let peak = 0;
  let senderCpuS = 0;
  const rssAt: { done: number; rss: number }[] = [];
  let sampling = false;
  const sampler = setInterval(() => {
    if (sampling) return;
    sampling = true;
    pgCpu.sample();
    const pid = child.pid!;
    peak = Math.max(peak, procStatus(pid, 'VmHWM') ?? 0);
    senderCpuS = cpuSeconds(pid) ?? senderCpuS;
    const rss = procStatus(pid, 'VmRSS');
    void ask<SinkStats>(sink, 'stats').then((s) => {
      if (rss) rssAt.push({ done: s.messages / Math.max(1, N), rss });
      sampling = false;
    });
  }, 1000);
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const end = performance.now();
  clearInterval(sampler);
  if (exitCode !== 0) process.stderr.write(`digest send exited ${exitCode}\n${errTail}\n${stdout}\n`);
  return {
    wallMs: end - t0,
    prepareMs: preparedAt - startedAt,
    sendingMs: (sentAt || startedAt + (end - t0)) - preparedAt,
    timings,
    deliveries,
    peakRssBytes: peak,
    rssAt,
    senderCpuS,
    pgCpuS: pgCpu.seconds(),
    exitCode,
    summary: stdout.trim().split('\n').pop() ?? '',
  };
}

// ---------------------------------------------------------------- naive and wire limit on a sample
interface SampleReader {
  id: number;
  email: string;
  name: string | null;
  token_version: number;
  sections: string[];
}

async function sampleBaselines(db: Db, sinkPort: number, sink: ChildProcess) {
  const config = loadConfig({
    PUBLIC_URL: 'https://digest.example.com',
    SECRET: 'bench-secret-0123456789abcdef',
    MAIL_FROM: 'The Bench Post <digest@bench-sender.example>',
    DATA_DIR: dataDir,
  });
  const edition = await db.selectFrom('editions').selectAll().where('date', '=', date).executeTakeFirstOrThrow();
  const stories = await db.selectFrom('stories').selectAll().where('id', 'in', edition.story_ids).execute();
  const order = new Map(edition.story_ids.map((id, i) => [id, i]));
  stories.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  const readers = (await db
    .selectFrom('subscribers')
    .select(['id', 'email', 'name', 'token_version', 'sections'])
    .orderBy('id')
    .limit(SAMPLE)
    .execute()) as SampleReader[];
  const base = {
    date: edition.date,
    site: { name: config.site.name, postalAddress: config.site.postalAddress },
    publicUrl: config.publicUrl,
    stories: stories.filter((s) => s.kind === 'story'),
    blogs: stories.filter((s) => s.kind === 'blog'),
  };
  const links = (r: SampleReader) => ({
    unsubscribeUrl: unsubscribeUrl(config, { id: r.id, token_version: r.token_version }, edition.id),
    preferencesUrl: preferencesUrl(config, { id: r.id, token_version: r.token_version }, edition.id),
  });

  // The naive way: MJML for every reader, then sendMail awaited one at a time over one connection.
  await ask(sink, 'reset');
  log(`naive: ${readers.length} readers …`);
  const transport = nodemailer.createTransport({ pool: true, maxConnections: 1, host: '127.0.0.1', port: sinkPort, ignoreTLS: true });
  let t = performance.now();
  for (const r of readers) {
    const rendered = await renderEdition({ ...base, sections: r.sections as ('stories' | 'blogs')[] });
    const l = links(r);
    const parts = personalise(rendered, { name: r.name, ...l });
    await transport.sendMail({
      from: config.mailFrom,
      to: r.name ? { name: r.name, address: r.email } : r.email,
      subject: rendered.subject,
      html: parts.html,
      text: parts.text,
      headers: {
        'List-Unsubscribe': { prepared: true, value: `<${l.unsubscribeUrl}>` },
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
    });
  }
  const naiveMs = performance.now() - t;
  transport.close();
  const naiveSink = await ask<SinkStats>(sink, 'stats');

  // The wire limit: the same readers' messages built beforehand, written by a pipelining client.
  const rendered = await renderEdition(base);
  const template = await compileMessageTemplate({
    from: config.mailFrom,
    subject: rendered.subject,
    html: rendered.html,
    text: rendered.text,
  });
  // At least 10,000 messages (the sample's, repeated), so the measure is not a start-up blip.
  const repeated = Array.from({ length: Math.max(readers.length, 10_000) }, (_, i) => readers[i % readers.length]!);
  const messages: WireMessage[] = repeated.map((r, i) => ({
    from: 'digest@bench-sender.example',
    to: r.email,
    raw: template({
      name: r.name,
      ...links(r),
      to: r.email,
      messageId: deliveryMessageId(1_000_000_000 + i, edition.id, 'bench-sender.example', config.installId),
    })!,
  }));
  await ask(sink, 'reset');
  log(`wire limit: ${messages.length} pre-built messages over ${CONNECTIONS} connections …`);
  const wire = await sendAtWireLimit(sinkPort, messages, CONNECTIONS);
  const wireSink = await ask<SinkStats>(sink, 'stats');
  t = performance.now();
  return {
    naive: { messages: readers.length, ms: naiveMs, rate: readers.length / (naiveMs / 1000), sinkAccepted: naiveSink.messages },
    wire: {
      messages: messages.length,
      ms: wire.ms,
      rate: messages.length / (wire.ms / 1000),
      sinkAccepted: wireSink.messages,
      connections: CONNECTIONS,
    },
    messageBytes: messages[0]!.raw.length,
  };
}

// ---------------------------------------------------------------- main
const fmtMs = (ms: number) =>
  ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
const fmtRate = (r: number | undefined) => (r === undefined ? '' : `${Math.round(r).toLocaleString('en')} msg/s`);
const mb = (b: number) => `${(b / 1048576).toFixed(0)} MB`;

async function main(): Promise<void> {
  const commit = (() => {
    try {
      const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
      const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', 'src', 'bench'], { cwd: ROOT }).toString().trim();
      return dirty ? `${head}+dirty` : head;
    } catch {
      return 'unknown';
    }
  })();
  const loadAtStart = os.loadavg().map((l) => Number(l.toFixed(2)));
  log(`bench: ${N.toLocaleString('en')} readers on ${ENGINE}, edition ${date} slot ${sendAt.toISOString().slice(11, 16)}Z`);

  if (ENGINE === 'postgres') await admin((c) => c.query(`CREATE DATABASE ${dbName}`));
  let opened = await openBenchDb();
  const sink = await startSink();
  let pgVersion = 'PGlite 0.5.16';
  try {
    await migrate(opened.db);
    if (ENGINE === 'postgres')
      pgVersion = ((await sql<{ v: string }>`SELECT current_setting('server_version') AS v`.execute(opened.db)).rows[0]?.v ?? '?').split(
        ' ',
      )[0]!;
    const t = performance.now();
    await fill(opened.db);
    if (ENGINE === 'postgres') await sql`VACUUM ANALYZE subscribers`.execute(opened.db);
    const fillMs = performance.now() - t;
    log(`filled: ${N.toLocaleString('en')} readers and 240 stories in ${fmtMs(fillMs)}`);
    if (ENGINE === 'pglite') await opened.close(); // the embedded database belongs to one process: the sender

    log('sending with `digest send` …');
    const run = await runDigestSend(sink.port, sink.child);
    const sinkStats = await ask<SinkStats>(sink.child, 'stats');
    if (ENGINE === 'pglite') opened = await openBenchDb();
    const counts = (
      await sql<{ status: string; n: number }>`SELECT status, count(*)::int AS n FROM deliveries GROUP BY status`.execute(opened.db)
    ).rows;
    const sentRows = counts.find((c) => c.status === 'sent')?.n ?? 0;
    const exactlyOnce = sinkStats.distinct === N && sinkStats.duplicates === 0 && sinkStats.messages === N && sentRows === N;
    log(`send: ${run.summary}`);
    log(
      `check: sink got ${sinkStats.messages} messages for ${sinkStats.distinct} distinct readers, ${sinkStats.duplicates} duplicates; deliveries ${JSON.stringify(counts)} → ${exactlyOnce ? 'exactly once: OK' : 'NOT exactly once'}`,
    );

    log(`baselines on a sample of ${SAMPLE} readers (naive: MJML per reader, one connection; wire limit: pipelined raw client) …`);
    const baselines = await sampleBaselines(opened.db, sink.port, sink.child);

    const sendRate = N / (run.sendingMs / 1000);
    const totalRate = N / (run.wallMs / 1000);
    const rows: [string, string, string, string][] = [
      ['fill (readers + stories)', fmtMs(fillMs), fmtRate(N / (fillMs / 1000)).replace('msg', 'rows'), ''],
      ['rank (pick the stories)', fmtMs(run.timings.pickMs), '', ''],
      ['render (MJML, once)', fmtMs(run.timings.renderMs), '', ''],
      [
        'deliveries created (INSERT … SELECT)',
        fmtMs(run.timings.deliveriesMs),
        fmtRate(run.deliveries / (run.timings.deliveriesMs / 1000)).replace('msg', 'rows'),
        '',
      ],
      ['process start + prepare (to first claim)', fmtMs(run.prepareMs), '', ''],
      ['sending (claim, splice, SMTP, mark; to edition sent)', fmtMs(run.sendingMs), fmtRate(sendRate), ''],
      ['digest send, total wall', fmtMs(run.wallMs), fmtRate(totalRate), ''],
      [
        `naive (${SAMPLE}: MJML per reader, awaited sendMail)`,
        fmtMs(baselines.naive.ms),
        fmtRate(baselines.naive.rate),
        `project ${(sendRate / baselines.naive.rate).toFixed(0)}× naive`,
      ],
      [
        `wire limit (${baselines.wire.messages}: pipelined raw, ${CONNECTIONS} conns)`,
        fmtMs(baselines.wire.ms),
        fmtRate(baselines.wire.rate),
        `project ${(sendRate / baselines.wire.rate).toFixed(2)}× wire limit`,
      ],
    ];
    const pgShare = run.pgCpuS / (run.pgCpuS + run.senderCpuS + sinkStats.cpu.user / 1e6 + sinkStats.cpu.system / 1e6);
    const width = rows.map((r) => r[0].length).reduce((a, b) => Math.max(a, b), 0);
    const table = [
      `${'stage'.padEnd(width)}  ${'time'.padStart(9)}  ${'rate'.padStart(16)}  ratio`,
      ...rows.map((r) => `${r[0].padEnd(width)}  ${r[1].padStart(9)}  ${r[2].padStart(16)}  ${r[3]}`),
    ].join('\n');
    const rssEarly = run.rssAt.find((s) => s.done >= 0.1)?.rss;
    const rssLate = [...run.rssAt].reverse().find((s) => s.done <= 0.95)?.rss;
    const machine = {
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: os.loadavg().map((l) => Number(l.toFixed(2))),
      cores: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? '?',
      memory: mb(os.totalmem()),
      node: process.version,
      postgres: pgVersion,
      platform: `${os.platform()} ${os.release()}`,
    };
    process.stdout.write(`\n${table}\n\n`);
    process.stdout.write(
      `sender peak RSS ${mb(run.peakRssBytes)} (RSS ${rssEarly ? mb(rssEarly) : '?'} at 10% sent, ${rssLate ? mb(rssLate) : '?'} near the end); ` +
        `CPU: sender ${run.senderCpuS.toFixed(1)} s, PostgreSQL ${run.pgCpuS.toFixed(1)} s (${(pgShare * 100).toFixed(0)}% of the CPU spent by sender + PostgreSQL + sink; ${((run.pgCpuS / (run.wallMs / 1000)) * 100).toFixed(0)}% of one core over the wall), sink ${(sinkStats.cpu.user / 1e6 + sinkStats.cpu.system / 1e6).toFixed(1)} s\n` +
        `exactly once: ${exactlyOnce ? 'yes' : 'NO'} (${sinkStats.messages} messages, ${sinkStats.distinct} distinct readers, ${sinkStats.duplicates} duplicates, ${sentRows} deliveries sent); message ${(baselines.messageBytes / 1024).toFixed(0)} KB\n` +
        `machine: ${machine.cores} cores (${machine.cpu}), Node ${machine.node}, PostgreSQL ${machine.postgres}; load average ${loadAtStart[0]} at start, ${machine.loadAverageAtEnd[0]} at end; commit ${commit}\n` +
        `settings: SMTP_MAX_CONNECTIONS=${process.env.SMTP_MAX_CONNECTIONS ?? '4 (default)'} DELIVERY_BATCH=${process.env.DELIVERY_BATCH ?? '500 (default)'} WORKERS=${process.env.WORKERS ?? 'default'}\n`,
    );
    mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
    const file = path.join(ROOT, 'bench/results', `send-${ENGINE}-${N}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(
      file,
      JSON.stringify(
        {
          at: new Date().toISOString(),
          commit,
          machine,
          engine: ENGINE,
          subscribers: N,
          fillMs,
          send: { ...run, rate: sendRate, totalRate },
          pgCpuShare: pgShare,
          pgCpuMethod: 'sum of /proc CPU of every postgres process, sampled each second during the send',
          sink: sinkStats,
          exactlyOnce,
          deliveries: counts,
          baselines,
          ratios: { naive: sendRate / baselines.naive.rate, wire: sendRate / baselines.wire.rate },
          table: rows.map(([stage, time, rate, ratio]) => ({ stage, time, rate, ratio })),
        },
        null,
        2,
      ),
    );
    log(`results: ${path.relative(ROOT, file)}`);
    if (!exactlyOnce || run.exitCode !== 0) process.exitCode = 1;
  } finally {
    sink.child.disconnect();
    await opened.close().catch(() => undefined);
    if (ENGINE === 'postgres') await admin((c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
