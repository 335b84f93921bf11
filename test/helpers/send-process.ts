import { spawn, type ChildProcess } from 'node:child_process';
import { childEnv, DIGEST_ARGV } from './cli.js';
import type { SmtpSink } from './smtp-sink.js';

const TEST_SECRET = 'test-secret-0123456789abcdef';

/**
 * The pieces the tests that run `digest send` / `digest worker` as real processes share: spawn one,
 * wait (bounded) for a condition, and count what the SMTP server received per recipient.
 */
export type DigestProcess = ChildProcess & { readonly exited: Promise<number | null>; output(): string };

/**
 * The settings every test that runs `digest send` / `digest worker` as a process gives it: its own
 * PostgreSQL database, the SMTP server the test controls, a data directory, and a send slot.
 */
export function sendEnv(
  parts: { databaseUrl: string; smtpUrl: string; dataDir: string; cron: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    DATABASE_URL: parts.databaseUrl,
    SMTP_URL: parts.smtpUrl,
    SECRET: TEST_SECRET,
    DATA_DIR: parts.dataDir,
    DIGEST_CRON: parts.cron,
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** Starts `digest …` as a real process with `env` on top of the machine's environment (minus the suite's own settings). */
export function spawnDigest(args: string[], env: Record<string, string>): DigestProcess {
  const child = spawn(process.execPath, [...DIGEST_ARGV, ...args], {
    cwd: process.cwd(),
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return Object.assign(child, { exited, output: () => out });
}

/** Polls `check` every 50 ms; throws once `timeoutMs` has passed. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms))),
  ]);
}

export interface Tally {
  /** Recipients that received at least one message. */
  readonly unique: number;
  /** Messages beyond the first per recipient. */
  readonly duplicates: number;
  /** Per recipient: how many messages, and their distinct Message-IDs. */
  readonly byRecipient: Map<string, { count: number; ids: Set<string> }>;
}

/** What the SMTP server received, per recipient (one recipient per message, as the service sends). */
export function tally(sink: SmtpSink): Tally {
  const byRecipient = new Map<string, { count: number; ids: Set<string> }>();
  for (const m of sink.messages) {
    const r = byRecipient.get(m.to[0]!) ?? { count: 0, ids: new Set<string>() };
    r.count += 1;
    r.ids.add(m.parsed.messageId!);
    byRecipient.set(m.to[0]!, r);
  }
  return { unique: byRecipient.size, duplicates: sink.messages.length - byRecipient.size, byRecipient };
}
