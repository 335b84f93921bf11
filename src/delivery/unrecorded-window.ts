/**
 * The duplicate bound, as one rule. A message is "unrecorded" from the moment it is handed to SMTP
 * until its outcome is written to the database: in flight (the relay may take it at any moment) or
 * accepted with its `sent` mark still waiting to be written. A crash (kill -9, a lost machine) resends
 * exactly the unrecorded messages the relay had taken, so their number is the duplicate bound.
 *
 * The rule: a message is handed over only while in flight + waiting marks < concurrency + maxMarks.
 * Handing one over adds one to the sum; a 250 moves it from in flight to waiting (no change); a
 * written mark or a recorded failure takes it off. So the sum never passes concurrency + maxMarks,
 * whatever fails: with the database down, marks cannot be written, the window fills, and the worker
 * stops writing to the relay until the marks are stored.
 */
export interface WindowLimits {
  /** Messages in the SMTP conversation at once (2 × SMTP_MAX_CONNECTIONS by default). */
  readonly concurrency: number;
  /** Sent marks that may wait to be written (beyond the in-flight ones). */
  readonly maxMarks: number;
}

export interface WindowState {
  /** Handed to the Sender, outcome not yet recorded. */
  readonly inFlight: number;
  /** Accepted by the relay (250), `sent` mark not yet written. */
  readonly waitingMarks: number;
}

export function mayHandOver(state: WindowState, limits: WindowLimits): boolean {
  return state.inFlight < limits.concurrency && state.inFlight + state.waitingMarks < duplicateBound(limits);
}

/** The most messages one worker can have sent but not recorded: what a crash may send twice. */
export function duplicateBound(limits: WindowLimits): number {
  return limits.concurrency + limits.maxMarks;
}
