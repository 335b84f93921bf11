import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type { Config } from '../../config/index.js';
import type { Sender } from './sender.js';
import { nodemailerSender } from './nodemailer-sender.js';
import { pipelinedSender } from './pipelined-sender.js';
import { relayAddress } from './relay-address.js';

/** A single transactional email (confirmation, "manage my subscription" link, test send). */
export interface OutgoingMail {
  readonly to: string;
  readonly subject: string;
  readonly html: string;
  readonly text: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly messageId?: string;
}

/** Sends one email and resolves once the relay has accepted it (250). */
export interface Mailer {
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
  /** Opens a connection and says hello (and logs in): throws when the relay cannot be reached. */
  verify(): Promise<void>;
  close(): void;
}

export interface SmtpOptions {
  readonly url: string;
  readonly from: string;
  readonly maxConnections?: number;
  readonly ratePerSecond?: number | undefined;
  /** Sign every message (raw ones included) with this DKIM key. */
  readonly dkim?: { readonly domainName: string; readonly keySelector: string; readonly privateKey: string } | undefined;
}

/** The transport settings of a process: one place, so every sender signs and paces alike. */
export function smtpOptions(config: Config, url: string): SmtpOptions {
  return {
    url,
    from: config.mailFrom,
    maxConnections: config.smtp.maxConnections,
    ratePerSecond: config.smtp.ratePerSecond,
    dkim: config.dkim,
  };
}

/**
 * nodemailer's pooled SMTP transport: connections are kept open and reused (smtp-server's 100 ms
 * greeting delay makes a connection per message slow on its own), and SMTP_RATE is enforced here for
 * the whole process.
 */
export function createSmtpTransport(options: SmtpOptions): Transporter<SMTPPool.SentMessageInfo> {
  const relay = relayAddress(options.url);
  const transport = nodemailer.createTransport({
    pool: true,
    host: relay.host,
    port: relay.port,
    secure: relay.secure,
    ...(relay.auth ? { auth: { ...relay.auth } } : {}),
    maxConnections: options.maxConnections ?? 4,
    maxMessages: Infinity,
    ...(options.ratePerSecond ? { rateDelta: 1000, rateLimit: options.ratePerSecond } : {}),
    ...(options.dkim ? { dkim: { ...options.dkim } } : {}),
    ignoreTLS: relay.ignoreTLS,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
  } as SMTPPool.Options);
  return transport;
}

/**
 * The Sender the delivery workers of a process share: the pipelining client (about three times less
 * CPU per message than nodemailer's, see smtp-pipeline.ts) with the same relay and pool size, unless
 * the messages must be DKIM-signed or paced, which nodemailer does. Confirmations and notices go
 * through createMailer().
 */
export function createSender(options: SmtpOptions): Sender {
  if (options.dkim || options.ratePerSecond) return nodemailerSender(createSmtpTransport(options));
  const { host, port, secure, ignoreTLS, auth } = relayAddress(options.url);
  return pipelinedSender({
    host,
    port,
    secure,
    ignoreTLS,
    auth,
    maxConnections: options.maxConnections ?? 4,
  });
}

export function createMailer(options: SmtpOptions): Mailer {
  const transport = createSmtpTransport(options);
  return {
    async send(mail) {
      const info = await transport.sendMail({
        from: options.from,
        to: mail.to,
        subject: mail.subject,
        html: mail.html,
        text: mail.text,
        ...(mail.headers ? { headers: { ...mail.headers } } : {}),
        ...(mail.messageId ? { messageId: mail.messageId } : {}),
      });
      return { messageId: info.messageId };
    },
    async verify() {
      await transport.verify();
    },
    close: () => transport.close(),
  };
}
