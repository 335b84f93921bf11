/**
 * `digest`'s exit codes (README "Exit codes"). Every non-zero code of `digest send` names one reason
 * nothing (more) went out, so a cron job or a CI step can tell them apart.
 */
export const EXIT = {
  ok: 0,
  /** Anything else that went wrong: a bad setting, the database unreachable, a bug. */
  failure: 1,
  /** The command line itself was wrong. */
  usage: 2,
  /** The edition is past its cutoff and was not sent (`--late` sends it anyway). */
  expired: 3,
  /** The edition failed to render or failed preflight (fix the cause, then `--retry`). */
  failed: 4,
  /** No stories in the edition's window: nothing to send. */
  empty: 5,
  /** The edition is paused by an operator. */
  paused: 6,
  /** The relay refused every message of the edition. */
  refused: 7,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the CLI reports as one clear line (exit 1 unless it says otherwise), with a hint where one helps. */
export class CliError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  constructor(message: string, options: { code?: string; hint?: string; exitCode?: ExitCode } = {}) {
    super(options.hint ? `${message}\n  hint: ${options.hint}` : message);
    this.code = options.code ?? 'CLI_FAILED';
    this.exitCode = options.exitCode ?? EXIT.failure;
    this.name = 'CliError';
  }
}
