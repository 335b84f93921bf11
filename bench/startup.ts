/**
 * Start-up: how long a user waits, on this machine, for the commands the README starts with.
 * Part of `npm run bench` (first, as it takes about a minute); alone: `npm run bench -- --only startup`
 * (`--runs N` repeats each of the quick ones N times; 5 by default).
 *
 *   digest --help                                   target < 0.5 s   (node bin/digest.js --help)
 *   digest status, existing embedded database       target < 2 s     (node bin/digest.js status)
 *   npm start until it listens, existing data       target < 3 s     (npm start → node bin/digest.js serve)
 *   npm start until it listens, fresh data dir      target < 10 s    (creates and migrates the database)
 *
 * Each is a real process run the way a user runs it (the `npm start` ones through npm), with the
 * environment of a fresh clone: no DATABASE_URL, SECRET, SMTP_URL or PORT (PORT=0 to avoid clashes),
 * only DATA_DIR. "Listens" is the moment serve prints its "listening on" line, which it prints after
 * the port is bound. Medians, with min and max, so one slow run on a busy machine shows as a spread.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = path.join(ROOT, 'bin/digest.js');

interface Case {
  readonly name: string;
  readonly command: string;
  readonly targetMs: number;
  readonly runsMs: number[];
}

function userEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: '0', LANG: 'C.UTF-8' };
  for (const k of ['DATABASE_URL', 'SMTP_URL', 'SECRET', 'ADMIN_TOKEN', 'NODE_OPTIONS', 'DIGEST_LANG', 'NODE_ENV']) delete env[k];
  return env;
}

/** Runs a command to its end; its wall time in ms. */
function timeRun(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(file, args, { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    child.on('exit', (code) => {
      const ms = performance.now() - t;
      if (code === 0) resolve(ms);
      else reject(new Error(`${path.basename(file)} ${args.join(' ')} exited with ${code}:\n${out}`));
    });
  });
}

/** Starts `npm start`, times it until serve prints "listening on", then stops it (the whole group). */
function timeStart(env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    // Its own process group, so the stop reaches npm, its shell and node together.
    const child = spawn('npm', ['start', '--silent'], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let listenedMs: number | undefined;
    const stop = () => {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`npm start did not listen within 120 s:\n${out}`));
    }, 120_000);
    const onData = (d: Buffer) => {
      out += d;
      if (listenedMs === undefined && /listening on\s+http/.test(out)) {
        listenedMs = performance.now() - t;
        stop();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', () => {
      clearTimeout(timer);
      if (listenedMs === undefined) return reject(new Error(`npm start exited before it listened:\n${out}`));
      // npm goes first; the next run must not find serve still closing DATA_DIR: wait for the group.
      const waitForGroup = () => {
        try {
          process.kill(-child.pid!, 0);
          setTimeout(waitForGroup, 50);
        } catch {
          resolve(listenedMs!);
        }
      };
      waitForGroup();
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (ms: number) => (ms >= 999.5 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);

function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', 'src', 'bin'], { cwd: ROOT }).toString().trim();
    return dirty ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

/** Prints the table (a missed target says MISSED; timings are reported, not asserted) and whether all were met. */
export async function startupBench(options: { runs?: number } = {}): Promise<boolean> {
  const runs = options.runs ?? 5;
  const log = (s: string) => process.stdout.write(`${s}\n`);
  // What users run is dist/: build it from today's sources first (nothing to do when it is current).
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit' });
  const loadAtStart = os.loadavg()[0]!.toFixed(2);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'digest-startup-'));
  const cases: Case[] = [
    { name: 'digest --help', command: 'node bin/digest.js --help', targetMs: 500, runsMs: [] },
    { name: 'digest status, existing embedded database', command: 'node bin/digest.js status', targetMs: 2000, runsMs: [] },
    { name: 'npm start until it listens, existing data', command: 'npm start', targetMs: 3000, runsMs: [] },
    { name: 'npm start until it listens, fresh DATA_DIR', command: 'npm start', targetMs: 10_000, runsMs: [] },
  ];
  const [help, status, existing, fresh] = cases as [Case, Case, Case, Case];
  log(`startup: ${runs} runs each (fresh DATA_DIR: ${Math.min(runs, 3)}) …`);
  try {
    const data = path.join(dir, 'data');
    for (let i = 0; i < Math.min(runs, 3); i++) fresh.runsMs.push(await timeStart(userEnv(path.join(dir, `fresh-${i}`))));
    await timeStart(userEnv(data)); // creates the "existing" database (not counted)
    for (let i = 0; i < runs; i++) help.runsMs.push(await timeRun(process.execPath, [BIN, '--help'], userEnv(data)));
    for (let i = 0; i < runs; i++) status.runsMs.push(await timeRun(process.execPath, [BIN, 'status'], userEnv(data)));
    for (let i = 0; i < runs; i++) existing.runsMs.push(await timeStart(userEnv(data)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const machine = {
    cpu: os.cpus()[0]?.model ?? '?',
    cores: os.cpus().length,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
  const width = Math.max(...cases.map((c) => c.name.length));
  const rows = cases.map((c) => {
    const m = median(c.runsMs);
    return { ...c, medianMs: m, minMs: Math.min(...c.runsMs), maxMs: Math.max(...c.runsMs), ok: m < c.targetMs };
  });
  log('');
  log(`${'start-up'.padEnd(width)}  ${'median'.padStart(8)}  ${'min'.padStart(8)}  ${'max'.padStart(8)}  target`);
  for (const r of rows) {
    log(
      `${r.name.padEnd(width)}  ${fmt(r.medianMs).padStart(8)}  ${fmt(r.minMs).padStart(8)}  ${fmt(r.maxMs).padStart(8)}  < ${fmt(r.targetMs)} ${r.ok ? 'ok' : 'MISSED'}`,
    );
  }
  const loadAtEnd = os.loadavg()[0]!.toFixed(2);
  const at = commit();
  log(
    `machine: ${machine.cores} cores (${machine.cpu}), Node ${machine.node}, ${machine.platform}; load average ${loadAtStart} at start, ${loadAtEnd} at end; commit ${at}`,
  );
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  const file = path.join(ROOT, 'bench/results', `startup-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      { at: new Date().toISOString(), commit: at, machine, loadAverage: { start: loadAtStart, end: loadAtEnd }, cases: rows },
      null,
      2,
    ),
  );
  log(`results: ${path.relative(ROOT, file)}\n`);
  return rows.every((r) => r.ok);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const i = process.argv.indexOf('--runs');
  await startupBench(i > 0 ? { runs: Number(process.argv[i + 1]) } : {});
}
