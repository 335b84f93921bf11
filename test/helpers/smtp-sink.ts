import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

/**
 * A real SMTP server on loopback that keeps what it receives and answers as a test tells it to:
 * per-recipient replies (421, 451, 550…), dropped connections, latency.
 */
export interface ReceivedMessage {
  readonly from: string;
  readonly to: string[];
  readonly raw: string;
  readonly parsed: ParsedMail;
  /** Header lines exactly as received (mailparser folds List-* headers in `parsed`). */
  readonly headerLines: readonly { key: string; line: string }[];
}

export interface RecipientReply {
  readonly code: number;
  readonly message: string;
}

export interface SmtpSinkOptions {
  /** Called for each MAIL FROM; return a reply to refuse the sender. */
  readonly onSender?: (address: string) => RecipientReply | undefined;
  /** Called for each RCPT TO; return a reply to refuse that recipient. `n` counts RCPTs so far. */
  readonly onRecipient?: (address: string, n: number) => RecipientReply | undefined;
  /**
   * Called after DATA: return a reply to refuse the message, 'drop' to cut the connection without
   * keeping it, or 'keep-and-drop' to keep it (it counts as received) and then cut the connection
   * before the 250: the relay has the message, the sender cannot know ("uncertain").
   */
  readonly onData?: (message: { to: string[] }, n: number) => RecipientReply | 'drop' | 'keep-and-drop' | undefined;
  /** Delay before each reply to RCPT TO and to DATA: a number, or per recipient address. */
  readonly latencyMs?: number | ((address: string) => number);
  /** Listen on this port (a relay restarted where it was); default: any free one. */
  readonly port?: number;
  /** Connections beyond this many are answered 421 "Too many connected clients" and closed (smtp-server's own). */
  readonly maxClients?: number;
}

/** One RCPT TO as the sink saw it: on which connection, when (performance.now()), and the reply code given. */
export interface RecipientSeen {
  readonly connection: string;
  readonly address: string;
  readonly at: number;
  readonly code: number;
}

export interface SmtpSink {
  readonly port: number;
  readonly url: string;
  readonly messages: ReceivedMessage[];
  /** Every RCPT TO, in order of arrival. */
  readonly recipients: RecipientSeen[];
  /** Sessions accepted (past the greeting; not those refused for maxClients), since the start. */
  readonly accepted: () => number;
  /** The most sessions open at once, since the start. */
  readonly peakConnections: () => number;
  /** Resolves once `count` messages have arrived (or rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMessage[]>;
  close(): Promise<void>;
  /** The relay dies: every connection cut at once, the port closed (no goodbye, no 421). */
  kill(): Promise<void>;
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: ReceivedMessage[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let rcpts = 0;
  let datas = 0;
  const recipients: RecipientSeen[] = [];
  const live = new Set<string>();
  let accepted = 0;
  let peak = 0;
  const delay = (address: string | undefined) => {
    const ms = typeof options.latencyMs === 'function' ? (address === undefined ? 0 : options.latencyMs(address)) : options.latencyMs;
    return ms ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
  };

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    // Loopback clients only, on a machine with no DNS beyond the registries: no reverse lookups.
    disableReverseLookup: true,
    size: 10 * 1024 * 1024,
    ...(options.maxClients ? { maxClients: options.maxClients } : {}),
    // Called only for sessions let in (a connection refused for maxClients never gets here).
    onConnect(session, cb) {
      live.add(session.id);
      accepted += 1;
      peak = Math.max(peak, live.size);
      cb();
    },
    onClose(session) {
      live.delete(session.id);
    },
    onAuth(_auth, _session, cb) {
      cb(null, { user: 'test' });
    },
    onMailFrom(address, _session, cb) {
      const reply = options.onSender?.(address.address);
      if (!reply) return cb();
      cb(Object.assign(new Error(reply.message), { responseCode: reply.code }));
    },
    onRcptTo(address, session, cb) {
      rcpts += 1;
      const reply = options.onRecipient?.(address.address, rcpts);
      recipients.push({ connection: session.id, address: address.address, at: performance.now(), code: reply?.code ?? 250 });
      void delay(address.address).then(() => {
        if (reply) {
          const err = new Error(reply.message) as Error & { responseCode: number };
          err.responseCode = reply.code;
          cb(err);
        } else cb();
      });
    },
    onData(stream, session: SMTPServerSession, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        datas += 1;
        const to = session.envelope.rcptTo.map((r) => r.address);
        const verdict = options.onData?.({ to }, datas);
        await delay(to[0]);
        const keep = async () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const parsed = await simpleParser(raw);
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          messages.push({ from, to, raw, parsed, headerLines: parsed.headerLines });
          for (const w of waiters) if (messages.length >= w.count) w.resolve();
        };
        if (verdict === 'drop' || verdict === 'keep-and-drop') {
          if (verdict === 'keep-and-drop') await keep();
          // The session object has no socket: find the connection that owns it and cut it.
          const connections = (server as unknown as { connections: Set<{ session: unknown; _socket?: { destroy(): void } }> }).connections;
          for (const c of connections) if (c.session === session) c._socket?.destroy();
          return;
        }
        if (verdict) {
          const err = new Error(verdict.message) as Error & { responseCode: number };
          err.responseCode = verdict.code;
          return cb(err);
        }
        await keep();
        cb();
      });
    },
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    recipients,
    accepted: () => accepted,
    peakConnections: () => peak,
    waitFor(count, timeoutMs = 20_000) {
      if (messages.length >= count) return Promise.resolve(messages);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`expected ${count} messages, got ${messages.length} in ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve(messages);
          },
        });
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    kill: () =>
      new Promise<void>((resolve) => {
        server.server.close(() => resolve());
        const connections = (server as unknown as { connections: Set<{ _socket?: { destroy(): void } }> }).connections;
        for (const c of connections) c._socket?.destroy();
      }),
  };
}
