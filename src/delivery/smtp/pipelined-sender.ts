import { PipelinedSmtp, SmtpSendError, type PipelineOptions, type PipelineStats, type ThrottleChange } from './smtp-pipeline.js';
import { RelayUnavailable, type Outcome, type OutgoingMessage, type Sender } from './sender.js';
import { classifySmtpFailure } from './smtp-reply.js';

/**
 * The fast path: the pipelining client (smtp-pipeline.ts). It knows whether a message's body had
 * been written when a connection died, so a lost connection is `transient` before that and
 * `uncertain` after it; a connection that could not be opened (refused, TLS, AUTH) is the relay's
 * fault, never the reader's: `transient`, relayDown. A connection refused for too many while
 * others are open, and a message refused for our rate, never reach here: the pipeline answers them
 * by sending slower (smtp-pipeline.ts).
 */
export interface PipelinedSender extends Sender {
  /** The pool's connections, target, round trip, pushback and throttling, for metrics and logs. */
  stats(): PipelineStats;
  onThrottle(listener: (change: ThrottleChange) => void): void;
}

export function pipelinedSender(options: PipelineOptions): PipelinedSender {
  const smtp = new PipelinedSmtp(options);
  return {
    stats: () => smtp.stats(),
    onThrottle: (listener) => smtp.onThrottle(listener),
    async send(message: OutgoingMessage): Promise<Outcome> {
      try {
        await smtp.send(message);
        return { outcome: 'sent' };
      } catch (err) {
        return classifyPipelined(err);
      }
    },
    async verify() {
      try {
        await smtp.verify();
      } catch (err) {
        const e = err as SmtpSendError;
        throw new RelayUnavailable(e.duringOpen ?? 'connect', e.responseCode !== undefined && e.response ? e.response : e.message);
      }
    },
    async close() {
      smtp.close();
    },
  };
}

export function classifyPipelined(err: unknown): Outcome {
  const e = err instanceof SmtpSendError ? err : new SmtpSendError((err as Error).message, 'ECONNECTION', false);
  if (e.duringOpen) {
    return { outcome: 'transient', hardBounce: false, reason: `${e.code}: ${e.duringOpen}: ${e.response ?? e.message}`, relayDown: true };
  }
  const c = classifySmtpFailure({
    code: e.code,
    command: e.command,
    responseCode: e.responseCode,
    response: e.response ?? e.message,
    bodySent: e.bodySent,
  });
  // A connection lost with no reply to this message: the relay went away (a 4xx or 5xx is an answer).
  return { ...c, relayDown: e.responseCode === undefined && (e.code === 'ECONNECTION' || e.code === 'ETIMEDOUT') };
}
