/**
 * The duplicate bound, as one rule. A message is "unrecorded" from the moment it is handed to SMTP
 * until its outcome is written to the database: in flight (the relay may take it at any moment) or
 * accepted with its `sent` mark still waiting to be written. A crash that loses the waiting marks
 * resends exactly the unrecorded messages the relay had taken, so their number is the duplicate bound.
 *
 * The rule: a message is handed over only while in flight + waiting marks < concurrency + maxMarks.
 * Handing one over adds one to the sum; a 250 moves it from in flight to waiting (no change); a
 * written mark or a recorded failure takes it off. So the sum never passes concurrency + maxMarks,
 * whatever fails: with the database down, marks cannot be written, the window fills, and the worker
 * stops writing to the relay until the marks are stored.
 *
 * Since the sent journal (sent-journal.ts), waiting marks survive the process: after a kill -9 the
 * next start on the same DATA_DIR writes them before it claims anything, and only the messages whose
 * body the relay had and whose reply was not read yet are resent, one per SMTP connection at most
 * (smtp-pipeline.ts writes the next message's envelope, never its body, before reading a reply):
 * SMTP_MAX_CONNECTIONS + 1 per process (journaledDuplicateBound, below). The window stays as it is,
 * and still bounds the duplicates when the journal is lost with the process: a power cut or kernel
 * crash (the journal is not fsync'ed), a machine or disk lost, a DATA_DIR that cannot be written, a
 * process that does not start again on that DATA_DIR before its claims' leases run out (another
 * process then claims and resends them). Loosening it (more waiting marks while the journal is
 * healthy) was weighed and not done:
 * - what it would buy is small: while the database is away, leases cannot be renewed, and a claim
 *   is sent only within its lease (delivery-worker.ts stillHeld), so a larger window would let a
 *   worker send at most the ~1.5 batches it holds (750 messages at DELIVERY_BATCH 500) during an
 *   outage, before stopping anyway;
 * - what it would cost: those same 750 per worker become the bound in every case above where the
 *   journal is lost, up from 2 × SMTP_MAX_CONNECTIONS + 50.
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

/**
 * What one kill -9 of a process can resend when its sent journal survives (sent-journal.ts): on each
 * of its SMTP connections (the process's workers share them), the message whose body was written and
 * whose reply was not read yet, plus the one 250 being read at that instant, whose line the worker
 * writes before the process reads anything else.
 */
export function journaledDuplicateBound(maxConnections: number): number {
  return maxConnections + 1;
}
