import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const DIGEST_BIN = fileURLToPath(new URL('../../bin/digest.js', import.meta.url));

/**
 * Node's flags for the suite's child `digest` processes. Most live for seconds, and in those V8's
 * optimising WebAssembly tier spends about a second of CPU compiling PGlite's hot functions that the
 * process never lives to use (a `digest status` on an embedded database: 3.3-3.8 s of CPU, 2.1-2.6 s
 * with Liftoff only). Over a hundred such processes per run, that was a tenth of CI's CPU. What runs
 * is the same WebAssembly, compiled by V8's baseline tier; test/integration/build.compiled.test.ts
 * still runs the compiled CLI exactly as an operator does.
 */
export const CHILD_NODE_FLAGS: readonly string[] = ['--liftoff-only'];

/** The argv before `digest`'s own arguments, for a child started with process.execPath. */
export const DIGEST_ARGV: readonly string[] = [...CHILD_NODE_FLAGS, DIGEST_BIN];

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment a child `digest` gets: the machine's, minus the suite's own settings, plus `env`. */
export function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const k of [
    'DATABASE_URL',
    'SMTP_URL',
    'SECRET',
    'ADMIN_TOKEN',
    'PORT',
    'DATA_DIR',
    'NODE_OPTIONS',
    'VITEST',
    'VITEST_WORKER_ID',
    'VITEST_POOL_ID',
    'DIGEST_LANG',
  ])
    delete base[k];
  // The machine's LANG would pick the readers' language (a French CI box, French digests): tests that
  // want another language say so.
  return { ...base, LOG_LEVEL: 'warn', LANG: 'C.UTF-8', ...env };
}

/** Runs `digest …` as a real process (the way an operator does) and collects its output. */
export function runDigest(
  args: string[],
  env: Record<string, string | undefined> = {},
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...DIGEST_ARGV, ...args],
      { env: childEnv(env), cwd: options.cwd, timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Starts a long-running `digest …` (serve, worker) and resolves once its stdout matches `ready`. */
export function startDigest(
  args: string[],
  env: Record<string, string | undefined>,
  ready: RegExp,
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<{ child: ChildProcess; output: () => string; match: RegExpMatchArray }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...DIGEST_ARGV, ...args], {
      env: childEnv(env),
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`digest ${args.join(' ')} did not become ready in time; output:\n${out}`));
    }, options.timeoutMs ?? 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = out.match(ready);
      if (m) {
        clearTimeout(timer);
        resolve({ child, output: () => out, match: m });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`digest ${args.join(' ')} exited with ${code} before it was ready; output:\n${out}`));
    });
  });
}

export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill(signal);
  });
}
