import type { PipelineStats, ThrottleChange } from './smtp-pipeline.js';
import type { SmtpOutcome } from './smtp-reply.js';

/** One digest message on its way to the relay: the envelope (one recipient) and the whole MIME message. */
export interface OutgoingMessage {
  readonly from: string;
  readonly to: string;
  /** CRLF line ends. */
  readonly raw: Buffer;
}

/**
 * What became of one message, decided once by the Sender that sent it (smtp-reply.ts rules):
 * - `sent`: the relay answered 250;
 * - `transient` / `permanent` / `uncertain`: see SmtpOutcome. `relayDown` says the failure was the
 *   relay itself (no connection, TLS or AUTH failed, the connection lost with no reply), not an
 *   answer about this message: a run of those with no success pauses claiming (relay-watch.ts).
 */
export type Outcome =
  | { readonly outcome: 'sent' }
  | { readonly outcome: SmtpOutcome; readonly hardBounce: boolean; readonly reason: string; readonly relayDown: boolean };

/**
 * The seam between the delivery worker and SMTP: the worker knows only this. Implementations:
 * pipelinedSender (smtp-pipeline.ts, the fast path) and nodemailerSender (DKIM signing, SMTP_RATE
 * pacing); tests of the worker's own logic use a recording one.
 */
export interface Sender {
  /** Never throws: every failure comes back classified. */
  send(message: OutgoingMessage): Promise<Outcome>;
  /**
   * Opens one connection and says EHLO (STARTTLS and AUTH where configured), then quits. Throws a
   * RelayUnavailable naming what failed.
   */
  verify(): Promise<void>;
  close(): Promise<void>;
  /** The pool as sized now (the pipelining client; nodemailer's fixed pool has none): metrics and logs. */
  stats?(): PipelineStats;
  /** Told when the relay starts and stops throttling the sender (the pipelining client, which paces itself). */
  onThrottle?(listener: (change: ThrottleChange) => void): void;
}

/** The relay cannot be used: `stage` says how far the conversation got. */
export class RelayUnavailable extends Error {
  readonly code = 'RELAY_UNAVAILABLE';
  constructor(
    readonly stage: 'connect' | 'greeting' | 'tls' | 'auth' | 'ehlo',
    readonly detail: string,
  ) {
    super(`${STAGE[stage]}: ${detail}`);
    this.name = 'RelayUnavailable';
  }
}

const STAGE = {
  connect: 'cannot connect',
  greeting: 'no SMTP greeting',
  ehlo: 'EHLO refused',
  tls: 'TLS failed',
  auth: 'AUTH refused',
} as const;

/** SMTP_URL as it may be shown: the password replaced by ***. */
export function shownSmtpUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(SMTP_URL is not a URL)';
  }
}

/** The one line an operator sees when the relay cannot be used. */
export function relayProblem(url: string, err: unknown): string {
  const what = err instanceof RelayUnavailable ? err.message : `cannot connect: ${(err as Error).message}`;
  return `SMTP_URL ${shownSmtpUrl(url)}: ${what}`;
}
