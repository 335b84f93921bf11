import pino, { type Logger } from 'pino';

export type { Logger };

const redact = {
  paths: ['email', '*.email', 'to', '*.to', 'token', '*.token', 'password', '*.password', 'secret', '*.secret', 'req.headers.authorization', 'req.headers.cookie'],
  censor: '[redacted]',
};

/**
 * JSON lines in production, pretty on a terminal. Event names are stable (`event` field, e.g.
 * `delivery.sent`); addresses, tokens, secrets and message bodies never go in a log line.
 */
export function createLogger(options: { level: string; fd?: 1 | 2; pretty?: boolean; stream?: pino.DestinationStream }): Logger {
  const fd = options.fd ?? 1;
  if (options.stream) return pino({ level: options.level, redact }, options.stream);
  const pretty = options.pretty ?? Boolean((fd === 1 ? process.stdout : process.stderr).isTTY);
  if (pretty) {
    return pino({
      level: options.level,
      redact,
      transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss', destination: fd } },
    });
  }
  return pino({ level: options.level, redact }, pino.destination({ fd, sync: false }));
}

/** A logger that drops everything, for tests and library callers that pass none. */
export const silentLogger: Logger = pino({ level: 'silent' });
