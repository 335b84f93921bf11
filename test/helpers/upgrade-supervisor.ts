import { spawnDigest, type DigestProcess } from './send-process.js';

/** One start of the supervised command: when it started, and how it ended (undefined while running). */
export interface SupervisedRun {
  readonly startedAt: number;
  readonly process: DigestProcess;
  code: number | null | undefined;
}

/**
 * Runs `digest …` the way the shipped systemd units do (docs/deploy: Restart=on-failure,
 * RestartSec=5): started at once, started again `restartMs` after each exit that is not 0, until
 * stop(). What an operator's worker does through an upgrade, with a shorter RestartSec.
 */
export class Supervisor {
  readonly runs: SupervisedRun[] = [];
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly args: string[],
    private readonly env: Record<string, string>,
    private readonly restartMs = 200,
  ) {}

  start(): void {
    if (this.stopped) return;
    const run: SupervisedRun = { startedAt: Date.now(), process: spawnDigest(this.args, this.env), code: undefined };
    this.runs.push(run);
    void run.process.exited.then((code) => {
      run.code = code;
      if (code !== 0 && !this.stopped) this.timer = setTimeout(() => this.start(), this.restartMs);
    });
  }

  /** The run in progress, if any. */
  current(): SupervisedRun | undefined {
    const last = this.runs.at(-1);
    return last && last.code === undefined ? last : undefined;
  }

  /** SIGTERM to the run in progress, no more restarts; resolves with its exit code. */
  async stop(): Promise<number | null | undefined> {
    this.stopped = true;
    clearTimeout(this.timer);
    const run = this.current();
    if (!run) return this.runs.at(-1)?.code;
    run.process.kill('SIGTERM');
    return run.process.exited;
  }

  /** For afterEach: nothing left running, whatever happened. */
  kill(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const r of this.runs) if (r.process.exitCode === null && r.process.signalCode === null) r.process.kill('SIGKILL');
  }
}
