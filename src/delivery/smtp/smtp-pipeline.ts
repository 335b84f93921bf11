import { connect as netConnect, type Socket } from 'node:net';
import os from 'node:os';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

/**
 * The bulk sender: a small SMTP client that keeps `maxConnections` connections busy with
 * PIPELINING (RFC 2920). Per message it writes the envelope (MAIL, RCPT, DATA) in one go, and the
 * message body together with the next message's envelope, so a connection costs one round trip per
 * message and one socket write; nodemailer's client costs about three times the CPU per message
 * (streams per message, a write per command). Relays that do not offer PIPELINING get the same
 * commands one at a time.
 *
 * Failures are reported the way nodemailer reports them (code EENVELOPE / EMESSAGE / ECONNECTION /
 * ETIMEDOUT, the reply code and text), so smtp-reply.ts classifies both alike; in addition each
 * error says whether the message body had been written (`bodySent`), which this client knows: a
 * connection lost before that is `transient`, after it `uncertain`.
 *
 * Not here: DKIM signing and SMTP_RATE pacing (createSender() leaves those to nodemailer).
 */
export interface PipelineOptions {
  readonly host: string;
  readonly port: number;
  /** smtps: TLS from the first byte. */
  readonly secure: boolean;
  /** Loopback relays: never STARTTLS. Otherwise STARTTLS is used when the relay offers it. */
  readonly ignoreTLS: boolean;
  readonly auth?: { readonly user: string; readonly pass: string } | undefined;
  readonly maxConnections: number;
  readonly connectionTimeoutMs?: number;
  readonly socketTimeoutMs?: number;
  /** An idle connection says QUIT after this long. */
  readonly idleMs?: number;
}

export interface BulkMessage {
  /** Envelope sender and the one recipient. */
  readonly from: string;
  readonly to: string;
  /** The whole message, CRLF line ends. */
  readonly raw: Buffer;
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

interface Reply {
  readonly code: number;
  readonly text: string;
}

interface Job {
  readonly message: BulkMessage;
  readonly resolve: () => void;
  readonly reject: (err: SmtpSendError) => void;
}

/** Lines that start with a dot get another (RFC 5321 4.5.2); then the end-of-data line. */
export function dotStuffed(raw: Buffer): Buffer {
  const end = raw.length >= 2 && raw[raw.length - 2] === 13 && raw[raw.length - 1] === 10 ? '.\r\n' : '\r\n.\r\n';
  if (raw[0] !== 0x2e && raw.indexOf('\n.') < 0) return Buffer.concat([raw, Buffer.from(end)]);
  let s = raw.toString('latin1').replace(/\n\./g, '\n..');
  if (s.startsWith('.')) s = `.${s}`;
  return Buffer.from(s + end, 'latin1');
}

/** Reads SMTP replies off a socket, in order; replies that arrive before anyone asks are kept. */
class ReplyReader {
  private buffer = '';
  private lines: string[] = [];
  private readonly replies: Reply[] = [];
  private waiter: { n: number; resolve: (r: Reply[]) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  push(chunk: string): void {
    this.buffer += chunk;
    for (let eol = this.buffer.indexOf('\n'); eol >= 0; eol = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, eol).replace(/\r$/, '');
      this.buffer = this.buffer.slice(eol + 1);
      this.lines.push(line);
      if (line[3] !== '-') {
        this.replies.push({ code: Number(line.slice(0, 3)) || 0, text: this.lines.join('\n') });
        this.lines = [];
      }
    }
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

  next(n: number): Promise<Reply[]> {
    if (this.replies.length >= n) return Promise.resolve(this.replies.splice(0, n));
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { n, resolve, reject };
    });
  }
}

/** An error of open() as an SmtpSendError that says at which step it happened. */
function opening(e: unknown, stage: OpenStage): SmtpSendError {
  const err = e instanceof SmtpSendError ? e : new SmtpSendError((e as Error).message, 'ECONNECTION', false);
  err.duringOpen = stage;
  return err;
}

const ok = (r: Reply | undefined) => r !== undefined && r.code >= 200 && r.code < 300;
const oneLine = (r: Reply) => r.text.replace(/\s+/g, ' ').trim();

class Connection {
  private socket!: Socket | TLSSocket;
  private readonly reader = new ReplyReader();
  private pipelining = false;
  private extensions = '';
  closed = false;
  /** The step open() is at: a failure is reported as having happened there. */
  stage: OpenStage = 'connect';

  constructor(private readonly o: PipelineOptions) {}

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

  replies(n: number): Promise<Reply[]> {
    return this.reader.next(n);
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

export class PipelinedSmtp {
  private readonly queue: Job[] = [];
  private readonly idle: (() => void)[] = [];
  private readonly connections = new Set<Connection>();
  private running = 0;
  private closing = false;

  constructor(private readonly o: PipelineOptions) {}

  /** Resolves once the relay answered 250 to the message; rejects with an SmtpSendError. */
  send(message: BulkMessage): Promise<void> {
    if (this.closing) return Promise.reject(new SmtpSendError('sender closed', 'ECONNECTION', false));
    return new Promise((resolve, reject) => {
      this.queue.push({ message, resolve, reject });
      const wake = this.idle.shift();
      if (wake) wake();
      else if (this.running < this.o.maxConnections) void this.run();
    });
  }

  /**
   * Opens one connection of its own, says EHLO (STARTTLS and AUTH as configured) and quits: throws
   * an SmtpSendError whose `duringOpen` names the step that failed.
   */
  async verify(): Promise<void> {
    const conn = new Connection(this.o);
    try {
      await conn.open();
    } catch (e) {
      throw opening(e, conn.stage);
    } finally {
      conn.quit();
      conn.destroy();
    }
  }

  close(): void {
    this.closing = true;
    for (const wake of this.idle.splice(0)) wake();
    for (const c of this.connections) c.quit();
  }

  /** The next job, or undefined when none came for `idleMs` (or the sender is closing). */
  private next(): Promise<Job | undefined> {
    const job = this.queue.shift();
    if (job || this.closing) return Promise.resolve(job);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(this.queue.shift());
      };
      const timer = setTimeout(() => {
        const i = this.idle.indexOf(wake);
        if (i >= 0) this.idle.splice(i, 1);
        resolve(undefined);
      }, this.o.idleMs ?? 5000);
      timer.unref();
      this.idle.push(wake);
    });
  }

  /** One connection's life: take jobs while there are any, pipelining each body with the next envelope. */
  private async run(): Promise<void> {
    this.running += 1;
    let conn: Connection | undefined;
    /** The job whose body was written and whose final reply has not been read yet. */
    let awaiting: Job | undefined;
    let needRset = false;
    try {
      for (;;) {
        // With no next message waiting, read the last body's reply now rather than after the idle
        // wait: its 250 (and so its `sent` mark) must not sit unread for seconds at a send's tail,
        // where a crash would resend it.
        if (awaiting && conn && this.queue.length === 0) {
          const prev = awaiting;
          awaiting = undefined;
          await this.finish(conn, prev);
          if (conn.closed) break;
        }
        let job = await this.next();
        if (!job) break;
        if (!conn) {
          conn = new Connection(this.o);
          this.connections.add(conn);
          try {
            await conn.open();
          } catch (e) {
            job.reject(opening(e, conn.stage));
            conn.destroy();
            break;
          }
        }
        const m = job.message;
        const envelope = `${needRset ? 'RSET\r\n' : ''}MAIL FROM:<${m.from}>\r\nRCPT TO:<${m.to}>\r\nDATA\r\n`;
        const count = needRset ? 4 : 3;
        needRset = false;
        if (conn.pipelines) {
          conn.write(envelope);
        }
        if (awaiting) {
          const prev = awaiting;
          awaiting = undefined;
          await this.finish(conn, prev);
        }
        let replies: Reply[];
        try {
          if (conn.pipelines) replies = await conn.expect(count, 'envelope');
          else replies = await this.lockstep(conn, envelope);
        } catch (e) {
          job.reject(e as SmtpSendError);
          break;
        }
        const [mail, rcpt, data] = replies.slice(count - 3);
        if (!ok(mail) || !ok(rcpt) || data!.code !== 354) {
          const bad = !ok(mail) ? mail! : !ok(rcpt) ? rcpt! : data!;
          job.reject(
            conn.refused(bad, !ok(mail) || !ok(rcpt) ? 'EENVELOPE' : 'EMESSAGE', !ok(mail) ? 'MAIL FROM' : !ok(rcpt) ? 'RCPT TO' : 'DATA'),
          );
          job = undefined;
          if (data!.code === 354) {
            // A relay that took DATA after refusing the envelope: end an empty message, then reset.
            conn.write('.\r\n');
            if (!(await conn.expect(1, 'end of data').catch(() => undefined))) break;
          }
          needRset = ok(mail);
          // 421: the relay is closing this connection; the next job gets a new one.
          if (conn.closed || bad.code === 421) break;
          continue;
        }
        conn.write(dotStuffed(m.raw));
        awaiting = job;
        if (!conn.pipelines) {
          awaiting = undefined;
          await this.finish(conn, job);
        }
        if (conn.closed) break;
      }
    } finally {
      if (awaiting && conn) await this.finish(conn, awaiting);
      if (conn) {
        this.connections.delete(conn);
        conn.quit();
      }
      this.running -= 1;
      // Jobs left with no connection to take them (this one failed or quit): start another.
      if (this.queue.length > 0 && this.running < this.o.maxConnections && !this.closing) void this.run();
      else if (this.closing) for (const job of this.queue.splice(0)) job.reject(new SmtpSendError('sender closed', 'ECONNECTION', false));
    }
  }

  /** MAIL, RCPT, DATA one at a time, for relays without PIPELINING. */
  private async lockstep(conn: Connection, envelope: string): Promise<Reply[]> {
    const out: Reply[] = [];
    for (const command of envelope.split('\r\n').filter(Boolean)) {
      conn.write(`${command}\r\n`);
      const [r] = await conn.expect(1, command.split(' ')[0]!);
      out.push(r!);
      if (!ok(r) && r!.code !== 354 && !command.startsWith('RSET')) {
        // The rest would be refused as out of sequence: report this reply for them too.
        while (out.length < envelope.split('\r\n').filter(Boolean).length) out.push(r!);
        break;
      }
    }
    return out;
  }

  /** Reads the final reply to a written body: 250 resolves the job. */
  private async finish(conn: Connection, job: Job): Promise<void> {
    try {
      const [r] = await conn.expect(1, 'end of data', true);
      if (ok(r)) job.resolve();
      else job.reject(conn.refused(r!, 'EMESSAGE', 'message', true));
    } catch (e) {
      job.reject(e as SmtpSendError);
    }
  }
}
