/**
 * The processes the send benchmark runs and watches: the SMTP sink (bench/sink.ts, its own
 * process), `digest send` as users run it, and the CPU of the sender and of PostgreSQL read from
 * /proc. bench/run.ts and bench/latency.ts share them.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** bin/digest's heap settings for `send` (kept when the bench runs bin/digest.js under node itself). */
export const SEND_HEAP_FLAGS = ['--max-old-space-size=192', '--max-semi-space-size=4'];

export interface SinkStats {
  messages: number;
  recipients: number;
  distinct: number;
  duplicates: number;
  bytes: number;
  connections: { open: number; peak: number; accepted: number; refused: number };
  cpu: NodeJS.CpuUsage;
}

export interface Sink {
  child: ChildProcess;
  port: number;
}

/** The sink in its own process; `env` sets SINK_LATENCY_MS, SINK_MAX_CONNECTIONS. */
export function startSink(env: Record<string, string> = {}): Promise<Sink> {
  const child = fork(path.join(ROOT, 'bench/sink.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { type: string; port: number }) => resolve({ child, port: m.port }));
    child.once('exit', (code) => reject(new Error(`sink exited (${code})`)));
  });
}

export function ask<T>(child: ChildProcess, type: string): Promise<T> {
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

/** CPU seconds a sink process used, from its own count. */
export const sinkCpuSeconds = (s: SinkStats) => (s.cpu.user + s.cpu.system) / 1e6;

/** CPU seconds (user + system) of a process, from /proc. */
export function cpuSeconds(pid: number): number | undefined {
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

/** Busy CPU seconds of the whole machine, all cores (user, nice, system, irq, softirq, steal), from /proc/stat. */
export function machineBusySeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return ((f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0)) / 100;
}

/**
 * PostgreSQL's CPU during the send: the bench database's backends and the server's own processes
 * (WAL writer, checkpointer, background writer; pg_stat_activity lists them without a database) are
 * sampled each second from /proc; the sum of what each one used between its first and last sample
 * (a backend born during the run counts from 0). Other databases' backends (a test suite on the same
 * server) are left out; the server's own processes also work for them, so keep the server quiet.
 */
class PgCpu {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private constructor(
    private readonly client: pg.Client,
    private readonly dbName: string,
  ) {}

  /** Watches from the admin database, so the watching backend is not counted. */
  static async start(adminUrl: string, dbName: string): Promise<PgCpu> {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    const watcher = new PgCpu(client, dbName);
    for (const pid of await watcher.pids()) {
      const c = cpuSeconds(pid);
      if (c !== undefined) watcher.first.set(pid, c);
    }
    return watcher;
  }

  private async pids(): Promise<number[]> {
    const { rows } = await this.client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 OR datname IS NULL', [
      this.dbName,
    ]);
    return rows.map((r) => r.pid);
  }

  async sample(): Promise<void> {
    for (const pid of await this.pids()) {
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

  stop(): Promise<void> {
    return this.client.end();
  }
}

export interface SendRun {
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
  /** What the sender says of its connections at edition.sent (peakConnections, roundTripMs…), if it does. */
  smtp: Record<string, number> | undefined;
}

export interface SendSetup {
  sink: Sink;
  /** The readers the send is for (the RSS samples say how far it got). */
  readers: number;
  dataDir: string;
  /** PostgreSQL; undefined: PGlite in dataDir. */
  dbUrl: string | undefined;
  /** PostgreSQL: where to watch the server from (its CPU), and the bench database's name. */
  pg?: { adminUrl: string; dbName: string } | undefined;
  date: string;
  cron: string;
  /** More environment for the sender (SMTP_MAX_CONNECTIONS…). */
  env?: Record<string, string>;
  /** Run bin/digest.js under `node` with these flags instead of bin/digest. */
  nodeArgs?: string[] | undefined;
  /** Where the sender's stderr (its JSON log) goes, relative to bench/results/. */
  stderrLog?: string;
}

export async function runDigestSend(o: SendSetup): Promise<SendRun> {
  const env = {
    ...process.env,
    DATA_DIR: o.dataDir,
    SMTP_URL: `smtp://127.0.0.1:${o.sink.port}`,
    PUBLIC_URL: 'https://digest.example.com',
    SECRET: 'bench-secret-0123456789abcdef',
    DIGEST_CRON: o.cron,
    DIGEST_TZ: 'UTC',
    LOG_LEVEL: 'info',
    MAIL_FROM: 'The Bench Post <digest@bench-sender.example>',
    ...o.env,
  } as NodeJS.ProcessEnv;
  if (o.dbUrl) env.DATABASE_URL = o.dbUrl;
  else delete env.DATABASE_URL;
  // PGlite runs inside the sender: its CPU is the sender's.
  const pgCpu = o.pg ? await PgCpu.start(o.pg.adminUrl, o.pg.dbName) : undefined;
  const t0 = performance.now();
  const startedAt = Date.now();
  // The `digest` command as `npx digest send` runs it (bin/digest: the heap settings of the bulk
  // senders included); nodeArgs (BENCH_NODE_ARGS, --profile) instead runs bin/digest.js under `node`.
  const child = o.nodeArgs
    ? spawn(process.execPath, [...o.nodeArgs, path.join(ROOT, 'bin/digest.js'), 'send', '--date', o.date], {
        env,
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn(path.join(ROOT, 'bin/digest'), ['send', '--date', o.date], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let preparedAt = 0;
  let sentAt = 0;
  let timings = { pickMs: 0, renderMs: 0, deliveriesMs: 0 };
  let deliveries = 0;
  let smtp: Record<string, number> | undefined;
  let stdout = '';
  let errTail = '';
  let buffered = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  const stderrLog = path.join(ROOT, 'bench/results', o.stderrLog ?? 'last-send.stderr.log');
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
          smtp?: Record<string, number>;
        };
        // The daily edition's own log lines (a weekly edition for nobody may follow it).
        if (j.event === 'edition.sending' && j.kind === 'daily') {
          preparedAt = j.time;
          timings = j.timings ?? timings;
          deliveries = j.deliveries ?? 0;
        }
        if (j.event === 'edition.sent' && !j.slot?.startsWith('weekly') && !sentAt) {
          sentAt = j.time;
          smtp = j.smtp;
        }
        if ((j.level ?? 0) >= 40) errTail = (errTail + line + '\n').slice(-4000);
      } catch {
        // the progress line
      }
    }
  });
  const pid = child.pid!;
  let peak = 0;
  let senderCpuS = 0;
  const rssAt: { done: number; rss: number }[] = [];
  // The sender's CPU often (what it used in its last moments is lost); the rest each second.
  const cpuSampler = setInterval(() => (senderCpuS = cpuSeconds(pid) ?? senderCpuS), 100);
  let sampling = false;
  let watching: Promise<unknown> = Promise.resolve();
  const sampler = setInterval(() => {
    if (sampling) return;
    sampling = true;
    watching = pgCpu?.sample().catch(() => undefined) ?? Promise.resolve();
    const watched = watching;
    peak = Math.max(peak, procStatus(pid, 'VmHWM') ?? 0);
    const rss = procStatus(pid, 'VmRSS');
    void Promise.all([ask<SinkStats>(o.sink.child, 'stats'), watched]).then(([s]) => {
      if (rss) rssAt.push({ done: s.messages / Math.max(1, o.readers), rss });
      sampling = false;
    });
  }, 1000);
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const end = performance.now();
  clearInterval(sampler);
  clearInterval(cpuSampler);
  await watching;
  await pgCpu?.sample().catch(() => undefined);
  await pgCpu?.stop();
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
    pgCpuS: pgCpu?.seconds() ?? 0,
    exitCode,
    summary: stdout.trim().split('\n').pop() ?? '',
    smtp,
  };
}
