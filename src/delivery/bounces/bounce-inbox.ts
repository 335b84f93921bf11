import type { AddressInfo } from 'node:net';
import type { Logger } from '../../config/index.js';
import type { Db } from '../../db/index.js';
import { recordBounce } from './record-bounce.js';
import { reportsFromMessage } from './parse-dsn.js';
import { parseVerpAddress } from '../verp.js';

export interface BounceInbox {
  readonly port: number;
  close(): Promise<void>;
}

const MAX_BYTES = 2 * 1024 * 1024;

/**
 * An inbound SMTP listener for bounces: it accepts mail only for VERP addresses of BOUNCE_ADDRESS
 * (bounces+<delivery id>@domain; anything else gets 550), reads the DSN or feedback report, and
 * records a hard bounce or complaint against the delivery the address names.
 */
export async function startBounceInbox(options: {
  db: Db;
  log: Logger;
  bounceAddress: string;
  port: number;
  host?: string;
}): Promise<BounceInbox> {
  const { db, log, bounceAddress } = options;
  // Loaded here: only serve with BOUNCE_SMTP_PORT set runs the inbox, and the CLI imports delivery/.
  const { SMTPServer } = await import('smtp-server');
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    disableReverseLookup: true,
    size: MAX_BYTES,
    onRcptTo(address, _session, cb) {
      if (parseVerpAddress(bounceAddress, address.address) === undefined) {
        const err = new Error('5.1.1 No such mailbox here') as Error & { responseCode: number };
        err.responseCode = 550;
        return cb(err);
      }
      cb();
    },
    onData(stream, session, cb) {
      void (async () => {
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        const reports = reportsFromMessage(Buffer.concat(chunks).toString('utf8'));
        for (const rcpt of session.envelope.rcptTo) {
          const deliveryId = parseVerpAddress(bounceAddress, rcpt.address);
          for (const r of reports) await recordBounce(db, log, { kind: r.kind, deliveryId, email: r.recipient, reason: r.reason });
        }
        if (reports.length === 0)
          log.info(
            { event: 'bounce.unreadable', to: session.envelope.rcptTo.length },
            'mail to a bounce address with no DSN or feedback report',
          );
      })().then(
        () => cb(),
        (err: Error) => {
          log.error({ event: 'bounce.failed', err: err.message }, 'could not process a bounce');
          const e = new Error('4.3.0 Try again later') as Error & { responseCode: number };
          e.responseCode = 451;
          cb(e);
        },
      );
    },
  });
  server.on('error', (err) => log.error({ event: 'bounce.inbox_error', err: err.message }, 'bounce inbox error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  log.info({ event: 'bounce.inbox_listening', port }, `bounce inbox listening on port ${port}`);
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
