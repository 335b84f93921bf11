import { connect as netConnect, type Socket } from 'node:net';
import os from 'node:os';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

/**
 * One SMTP connection of the bulk sender (smtp-pipeline.ts): opening it (greeting, EHLO, STARTTLS,
 * AUTH), writing commands, and reading replies in order. What to write and when is the pipeline's.
 */
export interface ConnectionOptions {
  readonly host: string;
  readonly port: number;
  /** smtps: TLS from the first byte. */
  readonly secure: boolean;
  /** Loopback relays: never STARTTLS. Otherwise STARTTLS is used when the relay offers it. */
  readonly ignoreTLS: boolean;
  readonly auth?: { readonly user: string; readonly pass: string } | undefined;
  readonly connectionTimeoutMs?: number;
  readonly socketTimeoutMs?: number;
}

export class SmtpSendError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly bodySent: boolean,
    readonly responseCode?: number,
    readonly response?: string,
  ) {
    super(message);
  }
  /** Set when the failure was in opening the connection (connect, greeting, EHLO, TLS, AUTH). */
  duringOpen: OpenStage | undefined;
  /** The command the relay refused ('MAIL FROM', 'RCPT TO', 'DATA'…): a refused sender is not a bounce. */
  command: string | undefined;
}

/** How far opening a connection got when it failed. */
export type OpenStage = 'connect' | 'greeting' | 'ehlo' | 'tls' | 'auth';

export interface Reply {
  readonly code: number;
  readonly text: string;
}

/** Lines that start with a dot get another (RFC 5321 4.5.2); then the end-of-data line. */
export function dotStuffed(raw: Buffer): Buffer {
  const end = endOfData(raw);
  if (!needsStuffing(raw)) return Buffer.concat([raw, end]);
  let s = raw.toString('latin1').replace(/\n\./g, '\n..');
  if (s.startsWith('.')) s = `.${s}`;
  return Buffer.concat([Buffer.from(s, 'latin1'), end]);
}

const END_AFTER_CRLF = Buffer.from('.\r\n');
const END_WITH_CRLF = Buffer.from('\r\n.\r\n');

/** The end-of-data line, with the CRLF the message lacks if it does not end with one. */
function endOfData(raw: Buffer): Buffer {
  return raw.length >= 2 && raw[raw.length - 2] === 13 && raw[raw.length - 1] === 10 ? END_AFTER_CRLF : END_WITH_CRLF;
}

function needsStuffing(raw: Buffer): boolean {
  return raw[0] === 0x2e || raw.indexOf('\n.') >= 0;
}

const uncork = (socket: Socket) => socket.uncork();

/** The three digits a reply line starts with, or 0. */
function replyCode(line: string): number {
  const a = line.charCodeAt(0) - 48;
  const b = line.charCodeAt(1) - 48;
  const c = line.charCodeAt(2) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 && c >= 0 && c <= 9 ? a * 100 + b * 10 + c : 0;
}

/** Reads SMTP replies off a socket, in order; replies that arrive before anyone asks are kept. */
export class ReplyReader {
  private buffer = '';
  private lines: string[] = [];
  private readonly replies: Reply[] = [];
  private waiter: { n: number; resolve: (r: Reply[]) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  push(chunk: string): void {
    // Scanned in place, one slice per line: a message costs four reply lines, parsed on every send.
    const buf = this.buffer ? this.buffer + chunk : chunk;
    let start = 0;
    for (let eol = buf.indexOf('\n'); eol >= 0; eol = buf.indexOf('\n', start)) {
      const line = buf.slice(start, eol > start && buf.charCodeAt(eol - 1) === 13 ? eol - 1 : eol);
      start = eol + 1;
      if (line.charCodeAt(3) === 45) {
        this.lines.push(line);
        continue;
      }
      let text = line;
      if (this.lines.length > 0) {
        this.lines.push(line);
        text = this.lines.join('\n');
        this.lines = [];
      }
      this.replies.push({ code: replyCode(line), text });
    }
    this.buffer = start < buf.length ? buf.slice(start) : '';
    this.settle();
  }

  fail(err: Error): void {
    this.failure ??= err;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(this.failure);
  }

  private settle(): void {
    const w = this.waiter;
    if (w && this.replies.length >= w.n) {
      this.waiter = undefined;
      w.resolve(this.replies.splice(0, w.n));
    }
  }

  /** The replies read and not yet asked for (after a failure: those that came before it). */
  drain(): Reply[] {
    return this.replies.splice(0);
  }

  next(n: number): Promise<Reply[]> {
    if (this.replies.length >= n) return Promise.resolve(this.replies.splice(0, n));
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { n, resolve, reject };
    });
  }
}

/** An error of open() as an SmtpSendError that says at which step it happened. */
export function opening(e: unknown, stage: OpenStage): SmtpSendError {
  const err = e instanceof SmtpSendError ? e : new SmtpSendError((e as Error).message, 'ECONNECTION', false);
  err.duringOpen = stage;
  return err;
}

export const ok = (r: Reply | undefined) => r !== undefined && r.code >= 200 && r.code < 300;
const oneLine = (r: Reply) => r.text.replace(/\s+/g, ' ').trim();

export class Connection {
  private socket!: Socket | TLSSocket;
  private readonly reader = new ReplyReader();
  private pipelining = false;
  private extensions = '';
  closed = false;
  /** The step open() is at: a failure is reported as having happened there. */
  stage: OpenStage = 'connect';

  constructor(private readonly o: ConnectionOptions) {}

  private attach(socket: Socket | TLSSocket): void {
    this.socket = socket;
    socket.setEncoding('latin1');
    socket.setNoDelay(true);
    socket.setTimeout(this.o.socketTimeoutMs ?? 60_000, () =>
      socket.destroy(Object.assign(new Error('socket timeout'), { code: 'ETIMEDOUT' })),
    );
    socket.on('data', (c: string) => this.reader.push(c));
    socket.on('error', (e: NodeJS.ErrnoException) => this.lost(e));
    socket.on('close', () => this.lost(Object.assign(new Error('connection closed by the relay'), { code: 'ECONNECTION' })));
  }

  private lost(e: NodeJS.ErrnoException): void {
    this.closed = true;
    this.reader.fail(e);
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /**
   * A message's body and the end-of-data line, and what else is written in this tick (the next
   * message's envelope): one write to the socket, the body not copied (dot-stuffing aside, which
   * a line starting with a dot needs, rarely). The socket is uncorked on the next tick, after the
   * caller's synchronous continuations have written the next envelope.
   */
  writeBody(raw: Buffer): void {
    const socket = this.socket;
    socket.cork();
    if (needsStuffing(raw)) socket.write(dotStuffed(raw));
    else {
      socket.write(raw);
      socket.write(endOfData(raw));
    }
    process.nextTick(uncork, socket);
  }

  replies(n: number): Promise<Reply[]> {
    return this.reader.next(n);
  }

  /** Replies that arrived before the connection was lost, not yet read (a 421 the relay closed after). */
  leftover(): Reply[] {
    return this.reader.drain();
  }

  /** Connects, says EHLO, upgrades to TLS and logs in as configured. Throws SmtpSendError. */
  async open(): Promise<void> {
    const o = this.o;
    const timeout = o.connectionTimeoutMs ?? 15_000;
    const socket = await new Promise<Socket | TLSSocket>((resolve, reject) => {
      const s = o.secure ? tlsConnect({ host: o.host, port: o.port, servername: o.host }) : netConnect({ host: o.host, port: o.port });
      const timer = setTimeout(() => s.destroy(Object.assign(new Error('connection timeout'), { code: 'ETIMEDOUT' })), timeout);
      s.once(o.secure ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    }).catch((e: NodeJS.ErrnoException) => {
      throw new SmtpSendError(e.message, e.code === 'ETIMEDOUT' ? 'ETIMEDOUT' : 'ECONNECTION', false, undefined, e.code);
    });
    this.attach(socket);
    this.stage = 'greeting';
    const [greeting] = await this.expect(1, 'greeting');
    if (!ok(greeting)) throw this.refused(greeting!, 'EPROTOCOL', 'greeting');
    this.stage = 'ehlo';
    await this.ehlo();
    if (!o.secure && !o.ignoreTLS && /\bSTARTTLS\b/i.test(this.extensions)) {
      this.stage = 'tls';
      this.write('STARTTLS\r\n');
      const [r] = await this.expect(1, 'STARTTLS');
      if (!ok(r)) throw this.refused(r!, 'ETLS', 'STARTTLS');
      const plain = this.socket as Socket;
      plain.removeAllListeners('data').removeAllListeners('close').removeAllListeners('error');
      const tls = await new Promise<TLSSocket>((resolve, reject) => {
        const t = tlsConnect({ socket: plain, servername: o.host });
        t.once('secureConnect', () => resolve(t));
        t.once('error', reject);
      }).catch((e: Error) => {
        throw new SmtpSendError(e.message, 'ETLS', false);
      });
      this.attach(tls);
      await this.ehlo();
    }
    if (o.auth) {
      this.stage = 'auth';
      const plainAuth = Buffer.from(`\0${o.auth.user}\0${o.auth.pass}`).toString('base64');
      this.write(`AUTH PLAIN ${plainAuth}\r\n`);
      const [r] = await this.expect(1, 'AUTH');
      if (!ok(r)) throw this.refused(r!, 'EAUTH', 'AUTH');
    }
  }

  private async ehlo(): Promise<void> {
    this.write(`EHLO ${os.hostname() || 'localhost'}\r\n`);
    const [r] = await this.expect(1, 'EHLO');
    if (!ok(r)) throw this.refused(r!, 'EPROTOCOL', 'EHLO');
    this.extensions = r!.text;
    this.pipelining = /^250[ -]PIPELINING\b/im.test(r!.text);
  }

  get pipelines(): boolean {
    return this.pipelining;
  }

  /** Replies, or a connection error as SmtpSendError (nothing of a message was written yet). */
  async expect(n: number, what: string, bodySent = false): Promise<Reply[]> {
    try {
      return await this.replies(n);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new SmtpSendError(`${what}: ${err.message}`, err.code === 'ETIMEDOUT' ? 'ETIMEDOUT' : 'ECONNECTION', bodySent);
    }
  }

  refused(r: Reply, code: string, what: string, bodySent = false): SmtpSendError {
    const err = new SmtpSendError(`${what} refused: ${oneLine(r)}`, code, bodySent, r.code, oneLine(r));
    err.command = what;
    return err;
  }

  quit(): void {
    if (this.closed || !this.socket) return;
    this.closed = true;
    try {
      this.socket.end('QUIT\r\n');
    } catch {
      /* already gone */
    }
    this.socket.unref();
  }

  destroy(): void {
    this.closed = true;
    this.socket?.destroy();
  }
}
