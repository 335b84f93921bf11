import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { Logger } from '../config/index.js';
import { MailStore, type CaughtSummary } from './mail-store.js';

export interface MailCatcher {
  /** smtp://127.0.0.1:PORT, what the service sends through when SMTP_URL is unset. */
  readonly url: string;
  readonly port: number;
  readonly store: MailStore;
  close(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

/** The decoded Subject (RFC 2047 encoded words included), read by mailparser from the headers. */
async function subjectOf(raw: Buffer): Promise<string> {
  const end = raw.indexOf('\r\n\r\n');
  const head = end >= 0 ? raw.subarray(0, end + 4) : raw;
  try {
    return (await simpleParser(head)).subject ?? '';
  } catch {
    return '';
  }
}

/**
 * The built-in mail catcher: with no SMTP_URL, everything the service sends lands here (on loopback
 * only, never relayed), and the inbox page shows it, so the whole reader journey can be walked on one
 * machine. The same smtp-server the tests use.
 */
export async function startMailCatcher(options: { dir?: string; port?: number; log: Logger; limit?: number }): Promise<MailCatcher> {
  const store = new MailStore(options.dir, options.limit);
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    // Loopback clients only, on a machine with no DNS beyond the registries: no reverse lookups.
    disableReverseLookup: true,
    size: MAX_MESSAGE_BYTES,
    onAuth(_auth, _session, cb) {
      cb(null, { user: 'catcher' });
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
          const err = new Error('message too large') as Error & { responseCode: number };
          err.responseCode = 552;
          return cb(err);
        }
        const raw = Buffer.concat(chunks);
        const summary: CaughtSummary = store.add(raw, {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: await subjectOf(raw),
        });
        options.log.debug({ event: 'catcher.received', id: summary.id, size: summary.size }, 'mail caught');
        cb();
      });
    },
  });
  server.on('error', (err) => options.log.error({ event: 'catcher.error', err: err.message }, 'mail catcher error'));
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    store,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
