import pino, { type Logger, type LoggerOptions } from 'pino';
import { isOurMessageIdLocal } from './message-id.js';

export type { Logger };

const redact = {
  paths: [
    'email',
    '*.email',
    'to',
    '*.to',
    'token',
    '*.token',
    'password',
    '*.password',
    'secret',
    '*.secret',
    'req.headers.authorization',
    'req.headers.cookie',
  ],
  censor: '[redacted]',
};

// Anything shaped like an address: relays quote the recipient in their replies ("550 5.1.1
// <anna@example.com>: no such user"), and those replies are logged as reasons.
const ADDRESS = /[^\s<>"(),;:@[\]\\]+@[^\s<>"(),;:@[\]\\]+/g;

// A Message-ID is address-shaped too, but names a message, not a person, and is what an operator
// searches a relay's logs for. Kept when it is bracketed and its left part is one we (or nodemailer)
// generate (message-id.ts: a digest's or a UUID-like id). A reader's address never has that shape
// in practice; anything else, bracketed or not, is scrubbed.

function isMessageId(match: string, offset: number, text: string): boolean {
  if (text[offset - 1] !== '<' || text[offset + match.length] !== '>') return false;
  return isOurMessageIdLocal(match.slice(0, match.lastIndexOf('@')));
}

/** Replaces every address-shaped part of a log text with [address], Message-IDs excepted. Pure, for the logger and tests. */
export function scrubAddresses(text: string): string {
  return text.replace(ADDRESS, (match: string, offset: number) => (isMessageId(match, offset, text) ? match : '[address]'));
}

function scrub(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return value.includes('@') ? scrubAddresses(value) : value;
  if (depth > 2 || value === null || typeof value !== 'object' || value instanceof Date) return value;
  if (value instanceof Error)
    return {
      type: value.name,
      message: scrubAddresses(value.message),
      ...('code' in value ? { code: (value as { code: unknown }).code } : {}),
    };
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, depth + 1)]));
}

/**
 * JSON lines in production, pretty on a terminal. Event names are stable (`event` field, e.g.
 * `delivery.sent`). Addresses, tokens, secrets and message bodies never go in a log line: known
 * fields are redacted, and any address inside a logged text (an SMTP reply, an error) is scrubbed.
 */
export function createLogger(options: { level: string; fd?: 1 | 2; pretty?: boolean; stream?: pino.DestinationStream }): Logger {
  const base: LoggerOptions = {
    level: options.level,
    redact,
    formatters: { log: (obj) => scrub(obj, 0) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((a) => (typeof a === 'string' && a.includes('@') ? scrubAddresses(a) : a));
        return method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
  };
  const fd = options.fd ?? 1;
  if (options.stream) return pino(base, options.stream);
  const pretty = options.pretty ?? Boolean((fd === 1 ? process.stdout : process.stderr).isTTY);
  if (pretty) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss', destination: fd } },
    });
  }
  return pino(base, pino.destination({ fd, sync: false }));
}

/** A logger that drops everything, for tests and library callers that pass none. */
export const silentLogger: Logger = pino({ level: 'silent' });
