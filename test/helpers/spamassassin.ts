import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Debian's SpamAssassin (`apt-get install spamassassin`; .ci/run installs it when missing), run the
 * way issue 13 measured the digest: `spamassassin -L -t`, local tests only (no DNS blocklists).
 */
export const SPAMASSASSIN = process.env.SPAMASSASSIN_PATH || '/usr/bin/spamassassin';

export function hasSpamAssassin(): boolean {
  return existsSync(SPAMASSASSIN);
}

export interface SpamReport {
  readonly score: number;
  /** The rules that fired, with their points, as the report lists them. */
  readonly rules: readonly { readonly name: string; readonly points: number; readonly description: string }[];
  readonly report: string;
}

/** Scores one raw message. Throws when spamassassin cannot run or its output has no score. */
export function spamScore(raw: string | Buffer): SpamReport {
  const run = spawnSync(SPAMASSASSIN, ['-L', '-t'], { input: raw, maxBuffer: 32 * 1024 * 1024, encoding: 'utf8', timeout: 120_000 });
  if (run.error) throw run.error;
  const out = run.stdout;
  const head = out.slice(0, out.search(/\r?\n\r?\n/));
  const status = /^X-Spam-Status: (.*(?:\r?\n[ \t].*)*)/m.exec(head)?.[1]?.replace(/\s+/g, ' ');
  const score = status ? /score=(-?\d+(?:\.\d+)?)/.exec(status)?.[1] : undefined;
  if (score === undefined) throw new Error(`spamassassin gave no score (exit ${run.status}): ${run.stderr.slice(0, 2000)}`);
  // The -t report: " pts rule name              description" then one line per rule (continuations indented).
  const at = out.indexOf('Content analysis details:');
  const report = at >= 0 ? out.slice(at, out.indexOf('\n\n', out.indexOf('---- ----', at)) + 1 || undefined) : '';
  const rules = [...report.matchAll(/^\s*(-?\d+(?:\.\d+)?)\s+([A-Z0-9_]+)\s+(.*)$/gm)].map((m) => ({
    points: Number(m[1]),
    name: m[2]!,
    description: m[3]!.trim(),
  }));
  return { score: Number(score), rules, report };
}
