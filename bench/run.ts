/**
 * `npm run bench -- [options]`
 *
 *   --subscribers N        readers of the send (default 100000)
 *   --engine pg|pglite     PostgreSQL from DATABASE_URL or the local server (default), or PGlite
 *   --only startup|send|latency   one part alone (send includes the latency section)
 *   --runs N               start-up runs (default 5)
 *   --sample N             readers of the naive baseline and of the wire limit's messages (default 2000)
 *   --connections N        connections of the wire limit (default 8)
 *   --wire-seconds S       how long each wire-limit run lasts (default 10)
 *   --relay-latency-ms L   the send's sink answers like a relay L ms away (default 0: loopback)
 *   --sink-max-connections M   the send's sink refuses connections beyond M (421 at greeting)
 *   --profile              `digest send` under node --cpu-prof, its profile and pg_stat_statements summarised
 *   --latency-ms L         the relay's distance in the latency section (default 50)
 *   --latency-readers N    the least readers of a latency row (default 4000; a row gets about 12 s of its ideal rate)
 *   --skip-latency         no latency section
 *
 * First the start-up times (bench/startup.ts), then the send, side by side on the same machine and data:
 *   1. a throw-away database (bench/bench-data.ts) filled with N active readers and a day of stories;
 *   2. an SMTP sink on loopback in its own process (bench/sink.ts), counting per recipient;
 *   3. the wire limit (bench/baselines.ts): pre-built messages written by a pipelining raw client for
 *      --wire-seconds (after 3 s unmeasured, each run with a new sink), once before the send and once
 *      after it; the project's rate is compared with their mean, so a busy second of the machine
 *      moves the ratio less;
 *   4. the real send path: `digest send`, the command users run, timed per stage, with the sender's
 *      peak RSS and the CPU per message of the sender, PostgreSQL and the sink;
 *   5. the naive way on a sample of the same readers (MJML per reader, sendMail awaited);
 *   6. the latency section (bench/latency.ts): `digest send` to a relay --latency-ms away at
 *      SMTP_MAX_CONNECTIONS 4, 16 and 64, on --latency-readers readers;
 *   7. the tables, and the same as JSON in bench/results/ with the machine and the commit.
 * It also checks that every reader got exactly one message, in every send.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { prepareSample, naiveSend, wireLimit, wireSummary } from './baselines.js';
import { createBenchDatabase, deliveryCounts, editionClock, fill, type Engine } from './bench-data.js';
import { formatProfile, summariseCpuProfile, type ProfileSummary } from './cpu-profile.js';
import { formatLatency, latencySection, type LatencyResult } from './latency.js';
import { formatStatements, HOW_TO_ENABLE, resetStatements, topStatements, type StatementRow } from './pg-statements.js';
import {
  ask,
  machineBusySeconds,
  ROOT,
  runDigestSend,
  SEND_HEAP_FLAGS,
  sinkCpuSeconds,
  startSink,
  type SinkStats,
} from './send-process.js';
import { startupBench } from './startup.js';

// ---------------------------------------------------------------- arguments
function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);
const N = Number(arg('subscribers', '100000'));
const ENGINE: Engine = arg('engine', 'pg') === 'pglite' ? 'pglite' : 'postgres';
const SAMPLE = Math.min(N, Number(arg('sample', '2000')));
const CONNECTIONS = Number(arg('connections', '8'));
const WIRE_SECONDS = Number(arg('wire-seconds', '10'));
const RELAY_LATENCY_MS = Number(arg('relay-latency-ms', '0'));
const SINK_MAX_CONNECTIONS = arg('sink-max-connections', '');
const PROFILE = flag('profile');
const LATENCY_MS = Number(arg('latency-ms', '50'));
const LATENCY_READERS = Number(arg('latency-readers', '4000'));
const LATENCY_CONNECTIONS = [4, 16, 64];
const ADMIN_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
if (!Number.isInteger(N) || N < 1) throw new Error('--subscribers must be a positive integer');
if (!Number.isInteger(LATENCY_READERS) || LATENCY_READERS < 1) throw new Error('--latency-readers must be a positive integer');
const ONLY = arg('only', 'all');
if (!['all', 'startup', 'send', 'latency'].includes(ONLY)) throw new Error('--only is startup, send or latency');
const LATENCY = ONLY !== 'startup' && !flag('skip-latency');

// ---------------------------------------------------------------- start-up (bench/startup.ts)
// First, as it is quick: how long `digest --help`, `status` and `npm start` take. It builds dist/
// from today's sources, which the send below runs too.
if (ONLY === 'all' || ONLY === 'startup') await startupBench({ runs: Number(arg('runs', '5')) });
else execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit' });
if (ONLY === 'startup') process.exit(0);

const log = (s: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);
const fmtMs = (ms: number) =>
  ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
const fmtRate = (r: number | undefined) => (r === undefined ? '' : `${Math.round(r).toLocaleString('en')} msg/s`);
const mb = (b: number) => `${(b / 1048576).toFixed(0)} MB`;
const loadNow = () => os.loadavg().map((l) => Number(l.toFixed(2)));
const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');

function commitOf(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', 'src', 'bench'], { cwd: ROOT }).toString().trim();
    return dirty ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

async function pgVersionOf(): Promise<string> {
  if (ENGINE === 'pglite') return 'PGlite 0.5.16';
  const { admin } = await import('./bench-data.js');
  return admin(
    ADMIN_URL,
    async (c) => ((await c.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]?.v ?? '?').split(' ')[0]!,
  );
}

function machineOf(loadAtStart: number[], pgVersion: string) {
  return {
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: loadNow(),
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? '?',
    memory: mb(os.totalmem()),
    node: process.version,
    postgres: pgVersion,
    platform: `${os.platform()} ${os.release()}`,
  };
}

// ---------------------------------------------------------------- the send
/** The send at N readers with its yardsticks; its table printed, its results returned for the JSON. */
async function sendBench() {
  const { sendAt, date, cron } = editionClock();
  log(`bench: ${N.toLocaleString('en')} readers on ${ENGINE}, edition ${date} slot ${sendAt.toISOString().slice(11, 16)}Z`);
  const database = await createBenchDatabase(ENGINE, ADMIN_URL, 'send');
  const sinkEnv: Record<string, string> = { SINK_LATENCY_MS: String(RELAY_LATENCY_MS) };
  if (SINK_MAX_CONNECTIONS) sinkEnv.SINK_MAX_CONNECTIONS = SINK_MAX_CONNECTIONS;
  const sink = await startSink(sinkEnv);
  try {
    let opened = await database.open();
    const t = performance.now();
    await fill(opened.db, N, sendAt);
    if (ENGINE === 'postgres') await sql`VACUUM ANALYZE subscribers`.execute(opened.db);
    const fillMs = performance.now() - t;
    log(`filled: ${N.toLocaleString('en')} readers and 240 stories in ${fmtMs(fillMs)}`);
    // The fill's pages written out now, not by the checkpointer during the first wire run.
    if (ENGINE === 'postgres') await sql`CHECKPOINT`.execute(opened.db);
    const sample = await prepareSample(opened.db, { date, cron, size: SAMPLE, dataDir: database.dataDir });
    await opened.close(); // PGlite's data belongs to one process: the sender

    // Each wire-limit run gets a sink of its own, new, so what the send left in the sink's heap
    // does not weigh on one run and not on the other.
    const wireAlone = async (when: string) => {
      const own = await startSink({ SINK_LATENCY_MS: String(RELAY_LATENCY_MS) }); // no connection limit: the client would stop at a 421
      try {
        return await wireLimit(sample, own.port, own.child, { seconds: WIRE_SECONDS, connections: CONNECTIONS, when });
      } finally {
        own.child.disconnect();
      }
    };
    const wireRuns = [];
    log(`wire limit, before the send: ${SAMPLE} pre-built messages in turn for ${WIRE_SECONDS} s over ${CONNECTIONS} connections …`);
    wireRuns.push(await wireAlone('before'));
    log(`  ${fmtRate(wireRuns[0]!.rate)} (the machine's other processes: ${wireRuns[0]!.otherCores.toFixed(1)} cores)`);

    const profileDir = PROFILE ? path.join(ROOT, 'bench/results', `profile-${stamp()}`) : undefined;
    const statements = PROFILE && database.url ? await resetStatements(database.url) : false;
    if (PROFILE && database.url && !statements) log(HOW_TO_ENABLE);
    const nodeArgs = profileDir
      ? [...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? SEND_HEAP_FLAGS), '--cpu-prof', `--cpu-prof-dir=${profileDir}`]
      : process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean);
    log(`sending with \`digest send\`${profileDir ? ` under node ${nodeArgs!.join(' ')}` : ''} …`);
    const sinkBefore = await ask<SinkStats>(sink.child, 'stats');
    const busyBefore = machineBusySeconds();
    const benchCpu = process.cpuUsage();
    const run = await runDigestSend({
      sink,
      readers: N,
      dataDir: database.dataDir,
      dbUrl: database.url,
      pg: database.url ? { adminUrl: ADMIN_URL, dbName: database.name } : undefined,
      date,
      cron,
      nodeArgs,
    });
    const sinkStats = await ask<SinkStats>(sink.child, 'stats');
    const sinkCpuS = sinkCpuSeconds(sinkStats) - sinkCpuSeconds(sinkBefore);
    // What the rest of the machine used meanwhile (a test suite, another bench), in cores.
    const benchUsage = process.cpuUsage(benchCpu);
    const benchCpuS = (benchUsage.user + benchUsage.system) / 1e6;
    const otherCores =
      Math.max(0, machineBusySeconds() - busyBefore - run.senderCpuS - run.pgCpuS - sinkCpuS - benchCpuS) / (run.wallMs / 1000);
    const topSql: StatementRow[] = statements ? await topStatements(database.url!, N) : [];
    await ask(sink.child, 'reset');

    if (database.url) {
      // The send left two dead row versions per reader: autovacuum and the checkpointer would clean
      // them up during the next wire run (measured: 4,916 msg/s after a 100k send against 15,815
      // before it). Done here, unmeasured, as the fill's CHECKPOINT is before the first run.
      opened = await database.open();
      await sql`VACUUM ANALYZE deliveries`.execute(opened.db);
      await sql`CHECKPOINT`.execute(opened.db);
      await opened.close();
    }
    log(`wire limit, after the send: ${WIRE_SECONDS} s …`);
    wireRuns.push(await wireAlone('after'));
    log(`  ${fmtRate(wireRuns[1]!.rate)} (the machine's other processes: ${wireRuns[1]!.otherCores.toFixed(1)} cores)`);

    opened = await database.open();
    const counts = await deliveryCounts(opened.db);
    await opened.close();
    const sentRows = counts.find((c) => c.status === 'sent')?.n ?? 0;
    const exactlyOnce = sinkStats.distinct === N && sinkStats.duplicates === 0 && sinkStats.messages === N && sentRows === N;
    log(`send: ${run.summary}`);
    log(
      `check: sink got ${sinkStats.messages} messages for ${sinkStats.distinct} distinct readers, ${sinkStats.duplicates} duplicates; deliveries ${JSON.stringify(counts)} → ${exactlyOnce ? 'exactly once: OK' : 'NOT exactly once'}`,
    );

    log(`naive: ${SAMPLE} readers (MJML per reader, sendMail awaited, one connection) …`);
    const naive = await naiveSend(sample, sink.port, sink.child);

    const profile: ProfileSummary | undefined = profileDir ? summariseProfile(profileDir, N) : undefined;
    if (profileDir && profile) {
      const text = `${formatProfile(profile)}\n${topSql.length ? `\nPostgreSQL statements by total time (pg_stat_statements):\n${formatStatements(topSql)}\n` : ''}`;
      writeFileSync(path.join(profileDir, 'summary.txt'), text);
      writeFileSync(path.join(profileDir, 'summary.json'), JSON.stringify({ profile, statements: topSql }, null, 2));
    }

    const sendRate = N / (run.sendingMs / 1000);
    const totalRate = N / (run.wallMs / 1000);
    const wire = { runs: wireRuns, ...wireSummary(wireRuns), seconds: WIRE_SECONDS, connections: CONNECTIONS };
    const cpuPerMessage = {
      senderMs: (run.senderCpuS * 1000) / N,
      postgresMs: (run.pgCpuS * 1000) / N,
      sinkMs: (sinkCpuS * 1000) / N,
    };
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
      [
        'sending (claim, splice, SMTP, mark; to edition sent)',
        fmtMs(run.sendingMs),
        fmtRate(sendRate),
        `others busy: ${otherCores.toFixed(1)} cores`,
      ],
      ['digest send, total wall', fmtMs(run.wallMs), fmtRate(totalRate), ''],
      [
        `naive (${SAMPLE}: MJML per reader, awaited sendMail)`,
        fmtMs(naive.ms),
        fmtRate(naive.rate),
        `project ${(sendRate / naive.rate).toFixed(0)}× naive`,
      ],
      ...wireRuns.map((w): [string, string, string, string] => [
        `wire limit ${w.when} the send (${w.messages.toLocaleString('en')} msgs, ${CONNECTIONS} conns)`,
        fmtMs(w.ms),
        fmtRate(w.rate),
        `others busy: ${w.otherCores.toFixed(1)} cores`,
      ]),
      [
        `wire limit, mean of ${wireRuns.length} (spread ${(wire.spread * 100).toFixed(0)}%)`,
        '',
        fmtRate(wire.mean),
        `project ${(sendRate / wire.mean).toFixed(2)}× wire limit`,
      ],
    ];
    const totalCpuS = run.pgCpuS + run.senderCpuS + sinkCpuS;
    const projectCpuMs = cpuPerMessage.senderMs + cpuPerMessage.postgresMs + cpuPerMessage.sinkMs;
    const width = rows.map((r) => r[0].length).reduce((a, b) => Math.max(a, b), 0);
    const table = [
      `${'stage'.padEnd(width)}  ${'time'.padStart(9)}  ${'rate'.padStart(16)}  ratio / note`,
      ...rows.map((r) => `${r[0].padEnd(width)}  ${r[1].padStart(9)}  ${r[2].padStart(16)}  ${r[3]}`),
    ].join('\n');
    const rssEarly = run.rssAt.find((s) => s.done >= 0.1)?.rss;
    const rssLate = [...run.rssAt].reverse().find((s) => s.done <= 0.95)?.rss;
    const f2 = (n: number) => n.toFixed(3);
    const summary =
      `sender peak RSS ${mb(run.peakRssBytes)} (RSS ${rssEarly ? mb(rssEarly) : '?'} at 10% sent, ${rssLate ? mb(rssLate) : '?'} near the end)\n` +
      `CPU: sender ${run.senderCpuS.toFixed(1)} s, PostgreSQL ${run.pgCpuS.toFixed(1)} s (${((run.pgCpuS / totalCpuS) * 100).toFixed(0)}% of the CPU spent by sender + PostgreSQL + sink; ${((run.pgCpuS / (run.wallMs / 1000)) * 100).toFixed(0)}% of one core over the wall), sink ${sinkCpuS.toFixed(1)} s\n` +
      `CPU per message: sender ${f2(cpuPerMessage.senderMs)} ms, PostgreSQL ${f2(cpuPerMessage.postgresMs)} ms, sink ${f2(cpuPerMessage.sinkMs)} ms; ` +
      `${f2(projectCpuMs)} ms in all; the wire limit ${f2(wire.cpuMsPerMessage)} ms (client + sink): ` +
      `project ${(wire.cpuMsPerMessage / projectCpuMs).toFixed(2)}× wire limit in CPU per message (less load-dependent than the rates)\n` +
      `exactly once: ${exactlyOnce ? 'yes' : 'NO'} (${sinkStats.messages} messages, ${sinkStats.distinct} distinct readers, ${sinkStats.duplicates} duplicates, ${sentRows} deliveries sent); ` +
      `message ${(sinkStats.bytes / Math.max(1, sinkStats.messages) / 1024).toFixed(0)} KB (wire limit's ${(sample.wireMessages[0]!.raw.length / 1024).toFixed(0)} KB); ` +
      `peak ${sinkStats.connections.peak} connections open at the sink${RELAY_LATENCY_MS ? `, which answers ${RELAY_LATENCY_MS} ms late` : ''}${sinkStats.connections.refused ? `, ${sinkStats.connections.refused} refused` : ''}\n` +
      `settings: SMTP_MAX_CONNECTIONS=${process.env.SMTP_MAX_CONNECTIONS ?? 'default'} DELIVERY_BATCH=${process.env.DELIVERY_BATCH ?? 'default'} WORKERS=${process.env.WORKERS ?? 'default'}` +
      `${run.smtp ? `; the sender at edition.sent: ${JSON.stringify(run.smtp)}` : ''}\n`;
    // Two cores shared with a test suite halve the rates: a ratio between runs means little then.
    const busiest = Math.max(otherCores, ...wireRuns.map((w) => w.otherCores));
    const quiet = busiest < 0.25 && wire.spread < 0.2;
    const why = [
      ...(busiest >= 0.25 ? [`other processes used up to ${busiest.toFixed(1)} of ${os.cpus().length} cores`] : []),
      ...(wire.spread >= 0.2 ? [`the wire-limit runs differ by ${(wire.spread * 100).toFixed(0)}% (the machine's speed varied)`] : []),
    ];
    const warning = quiet ? '' : `note: ${why.join('; ')}: compare rates and the ratio with other runs with care\n`;
    process.stdout.write(`\n${table}\n\n${summary}${warning}`);
    if (profile) {
      process.stdout.write(`\n${formatProfile(profile)}\n`);
      if (topSql.length)
        process.stdout.write(`\nPostgreSQL statements by total time (pg_stat_statements), ${N} messages:\n${formatStatements(topSql)}\n`);
      process.stdout.write(`profile: ${path.relative(ROOT, profileDir!)} (summary.txt, summary.json, the .cpuprofile for DevTools)\n`);
    }
    return {
      ok: exactlyOnce && run.exitCode === 0,
      result: {
        subscribers: N,
        fillMs,
        relayLatencyMs: RELAY_LATENCY_MS,
        send: { ...run, rate: sendRate, totalRate },
        cpuPerMessage,
        pgCpuShare: run.pgCpuS / totalCpuS,
        pgCpuMethod: 'sum of /proc CPU of every postgres process, sampled each second during the send',
        sink: { ...sinkStats, cpuSeconds: sinkCpuS },
        exactlyOnce,
        deliveries: counts,
        baselines: { naive, wire, messageBytes: sample.wireMessages[0]!.raw.length },
        ratios: { naive: sendRate / naive.rate, wire: sendRate / wire.mean, wireCpu: wire.cpuMsPerMessage / projectCpuMs },
        otherCoresDuringSend: otherCores,
        quiet,
        table: rows.map(([stage, time, rate, ratio]) => ({ stage, time, rate, ratio })),
        ...(profileDir ? { profile: { dir: path.relative(ROOT, profileDir), summary: profile, statements: topSql } } : {}),
      },
    };
  } finally {
    sink.child.disconnect();
    await database.drop();
  }
}

/** The sender's .cpuprofile (the largest, should there be more than one) summarised. */
function summariseProfile(dir: string, messages: number): ProfileSummary | undefined {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size);
  if (!files[0]) {
    log(`no .cpuprofile in ${dir}`);
    return undefined;
  }
  return summariseCpuProfile(files[0], ROOT, messages);
}

// ---------------------------------------------------------------- main
async function main(): Promise<void> {
  const commit = commitOf();
  const loadAtStart = loadNow();
  const pgVersion = await pgVersionOf();
  const send = ONLY === 'latency' ? undefined : await sendBench();
  const loadBeforeLatency = loadNow();
  let latency: LatencyResult | undefined;
  if (LATENCY) {
    latency = await latencySection({
      engine: ENGINE,
      adminUrl: ADMIN_URL,
      readers: LATENCY_READERS,
      latencyMs: LATENCY_MS,
      connections: LATENCY_CONNECTIONS,
      log,
    });
    process.stdout.write(`\n${formatLatency(latency)}\n`);
  }
  const machine = machineOf(loadAtStart, pgVersion);
  process.stdout.write(
    `\nmachine: ${machine.cores} cores (${machine.cpu}), Node ${machine.node}, PostgreSQL ${machine.postgres}; ` +
      `load average ${loadAtStart.join(' ')} at start${latency && send ? `, ${loadBeforeLatency.join(' ')} before the latency section` : ''}, ${machine.loadAverageAtEnd.join(' ')} at end; commit ${commit}\n`,
  );
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  const file = path.join(ROOT, 'bench/results', `send-${ENGINE}-${send ? N : `latency-${LATENCY_READERS}`}-${stamp()}.json`);
  writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), commit, machine, engine: ENGINE, ...send?.result, latency }, null, 2));
  log(`results: ${path.relative(ROOT, file)}`);
  const latencyOk = !latency || latency.rows.every((r) => r.exactlyOnce && r.exitCode === 0);
  if ((send && !send.ok) || !latencyOk) process.exitCode = 1;
}

await main();
