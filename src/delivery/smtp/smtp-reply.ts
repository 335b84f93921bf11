/**
 * What a failed SMTP hand-off means for the delivery, decided here once (never by matching reply text
 * anywhere else), the way Postfix reads replies:
 *
 * - `transient`: try again later. 4xx replies (421 service closing, 450/451/452 try later), and a
 *   connection that failed before the whole message was handed over (refused, reset, timed out).
 * - `permanent`: the relay refused the recipient or the message for good (5xx). The delivery fails;
 *   only a refusal of the mailbox itself suppresses the address (a hard bounce, see `isHardBounce`).
 *   A refusal of MAIL FROM or AUTH is about our own setup (sender address, credentials, relay
 *   permissions), never the reader: it fails the delivery without suppressing anyone.
 * - `uncertain`: the whole message was written, then the connection died before the relay's reply.
 *   The relay may or may not have taken it: resend once (a possible duplicate, same Message-ID).
 */
export type SmtpOutcome = 'transient' | 'permanent' | 'uncertain';

export interface SmtpFailure {
  /** nodemailer's error code: EENVELOPE, EMESSAGE, ECONNECTION, ESOCKET, ETIMEDOUT, EPROTOCOL… */
  readonly code?: string | undefined;
  /** The relay's reply code, when it replied (421, 451, 550…). */
  readonly responseCode?: number | undefined;
  /** The reply line, kept for the delivery's error and the suppression reason. */
  readonly response?: string | undefined;
  /**
   * The command the relay refused: 'MAIL FROM', 'RCPT TO', 'DATA', 'AUTH PLAIN'… Undefined when the
   * client does not say; an EENVELOPE refusal is then read as one at RCPT TO.
   */
  readonly command?: string | undefined;
  /**
   * Whether the message may have reached the relay. False when the connection was never made
   * (refused, no such host); undefined when unknown: nodemailer does not say at which step a
   * connection died, so a loss mid-conversation is taken as possibly after the end of DATA.
   */
  readonly bodySent?: boolean | undefined;
}

export interface Classified {
  readonly outcome: SmtpOutcome;
  /** The address itself is refused for good (5xx on the recipient): suppress it. */
  readonly hardBounce: boolean;
  /** One line for deliveries.error: reply code and text, or the error code. */
  readonly reason: string;
}

const CONNECTION_CODES = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE', 'EDNS', 'ETLS', 'EPROTOCOL']);

/** Enhanced status codes (RFC 3463) that say the mailbox or address, not the message, is the problem. */
const MAILBOX_STATUS = /\b5\.1\.\d{1,3}\b|\b5\.2\.1\b/;

/** The first enhanced status code (RFC 3463) of a reply, as "5.7.1", if it has one. */
export function enhancedStatus(reply: string): string | undefined {
  return /(?:^|[\s-])([245]\.\d{1,3}\.\d{1,3})\b/.exec(reply)?.[1];
}

/**
 * Whether a 5xx refusal of RCPT TO says the mailbox itself is bad, so the address is suppressed.
 * Only 5.1.x (bad address or mailbox) and 5.2.1 (mailbox disabled) do; other classes are about
 * policy (5.7.x: relay denied, sender not allowed, spam), the system (5.3.x), the network (5.4.x) or
 * the protocol (5.5.x), which a misconfiguration of ours can cause for every reader at once. With no
 * enhanced code, the bare codes that RFC 5321 gives to mailboxes (550 unavailable, 551 not local,
 * 553 name not allowed) are taken as the mailbox's.
 */
export function isHardBounce(responseCode: number, reply: string): boolean {
  const status = enhancedStatus(reply);
  if (status) return /^5\.1\.\d+$/.test(status) || status === '5.2.1';
  return responseCode === 550 || responseCode === 551 || responseCode === 553;
}

/** Connection errors that happen before a byte of the message can have left. */
export const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export function classifySmtpFailure(f: SmtpFailure): Classified {
  const reply = (f.response ?? '').replace(/\s+/g, ' ').trim().slice(0, 300);
  const reason = f.responseCode ? reply || String(f.responseCode) : `${f.code ?? 'error'}${reply ? `: ${reply}` : ''}`;
  const rc = f.responseCode;
  if (rc && rc >= 500 && rc < 600) {
    const command = (f.command ?? '').toUpperCase();
    // MAIL FROM or AUTH refused (wrong MAIL_FROM, relay wants AUTH, relaying denied): our setup is
    // wrong, the same for every reader, so nobody is suppressed.
    if (command.startsWith('MAIL') || command.startsWith('AUTH') || f.code === 'EAUTH') {
      return { outcome: 'permanent', hardBounce: false, reason: `${command || 'AUTH'} refused: ${reason}` };
    }
    // A 5xx after DATA (EMESSAGE) is about this message unless its enhanced status code names the
    // mailbox; a 5xx to RCPT TO only when it is mailbox-level (isHardBounce).
    const hardBounce = f.code === 'EMESSAGE' || f.code === 'EPROTOCOL' ? MAILBOX_STATUS.test(reply) : isHardBounce(rc, reply);
    return { outcome: 'permanent', hardBounce, reason };
  }
  if (rc && rc >= 400 && rc < 500) return { outcome: 'transient', hardBounce: false, reason };
  if (f.code && CONNECTION_CODES.has(f.code)) {
    return { outcome: f.bodySent === false ? 'transient' : 'uncertain', hardBounce: false, reason };
  }
  // Anything else (no reply, an error of ours before the hand-off) is retried: never silently dropped.
  return { outcome: f.bodySent === true ? 'uncertain' : 'transient', hardBounce: false, reason };
}
