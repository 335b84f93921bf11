import type { Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import { RelayUnavailable, type Outcome, type OutgoingMessage, type Sender } from './sender.js';
import { classifySmtpFailure, NEVER_CONNECTED } from './smtp-reply.js';

/** nodemailer's error as thrown by sendMail() / verify(). */
interface NodemailerError {
  readonly code?: string;
  readonly originalCode?: string;
  readonly responseCode?: number;
  readonly response?: string;
  readonly command?: string;
  readonly message?: string;
}

/** Codes nodemailer gives when the connection itself could not be opened or used. */
const OPENING: Record<string, 'connect' | 'tls' | 'auth'> = {
  ECONNECTION: 'connect',
  EDNS: 'connect',
  ETIMEDOUT: 'connect',
  ESOCKET: 'connect',
  ETLS: 'tls',
  EAUTH: 'auth',
};

/**
 * The nodemailer path, for what the pipelining client does not do: DKIM signing and SMTP_RATE
 * pacing (both configured on the pooled transport). nodemailer does not say at which step a
 * connection died, only whether it ever connected, so a loss mid-conversation is `uncertain`.
 */
export function nodemailerSender(transport: Transporter<SMTPPool.SentMessageInfo>): Sender {
  return {
    async send({ from, to, raw }: OutgoingMessage): Promise<Outcome> {
      try {
        const info = await transport.sendMail({ envelope: { from, to: [to] }, raw });
        if (info.rejected.length > 0) {
          // nodemailer resolves when only some recipients are refused; with one recipient it throws,
          // but read `rejected` anyway rather than count a refusal as sent.
          const e = (info.rejectedErrors?.[0] ?? {}) as NodemailerError;
          return {
            ...classifySmtpFailure({
              code: e.code ?? 'EENVELOPE',
              command: e.command ?? 'RCPT TO',
              responseCode: e.responseCode,
              response: e.response,
              bodySent: false,
            }),
            relayDown: false,
          };
        }
        return { outcome: 'sent' };
      } catch (err) {
        return classifyNodemailer(err as NodemailerError);
      }
    },
    async verify() {
      try {
        await transport.verify();
      } catch (err) {
        const e = err as NodemailerError;
        throw new RelayUnavailable(
          OPENING[e.code ?? ''] ?? (e.command === 'EHLO' ? 'ehlo' : 'greeting'),
          (e.message ?? String(err)).replace(/\s+/g, ' ').trim(),
        );
      }
    },
    async close() {
      transport.close();
    },
  };
}

export function classifyNodemailer(e: NodemailerError): Outcome {
  const neverConnected = NEVER_CONNECTED.has(e.originalCode ?? '') || NEVER_CONNECTED.has(e.code ?? '') || e.command === 'CONN';
  // TLS or AUTH failing says nothing about the reader: never a bounce, retried once the relay is fixed.
  if (e.code === 'EAUTH' || e.code === 'ETLS' || neverConnected) {
    return {
      outcome: 'transient',
      hardBounce: false,
      reason: `${e.code ?? 'error'}: ${(e.response ?? e.message ?? '').replace(/\s+/g, ' ').trim().slice(0, 300)}`,
      relayDown: true,
    };
  }
  // nodemailer names the refused command ('MAIL FROM', 'RCPT TO'…): a refused sender is not a bounce.
  const c = classifySmtpFailure({
    code: e.code,
    command: e.command,
    responseCode: e.responseCode,
    response: e.response ?? e.message,
    bodySent: undefined,
  });
  return { ...c, relayDown: e.responseCode === undefined && e.code !== undefined && e.code in OPENING };
}
