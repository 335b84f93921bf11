/**
 * The wire limit: a minimal raw SMTP client that writes pre-built messages with PIPELINING
 * (RFC 2920) over several connections. It does no work per message beyond writing bytes and reading
 * replies, so its rate is what the sink and the loopback can take: the ceiling any sender on this
 * machine could reach. Benchmark only: no TLS, no AUTH, a reply other than 2xx/354 aborts the run.
 */
import { connect, type Socket } from 'node:net';

export interface WireMessage {
  readonly from: string;
  readonly to: string;
  /** CRLF message; dot-stuffed here. */
  readonly raw: Buffer;
}

/** Doubles a leading dot on every line (RFC 5321 4.5.2) and appends the end-of-data line. */
export function dotStuff(raw: Buffer): Buffer {
  let s = raw.toString('latin1').replace(/\r\n\./g, '\r\n..');
  if (s.startsWith('.')) s = `.${s}`;
  if (!s.endsWith('\r\n')) s += '\r\n';
  return Buffer.from(`${s}.\r\n`, 'latin1');
}

/** Final reply codes in arrival order; replies that come before anyone waits are kept. */
class Replies {
  private buffer = '';
  private readonly codes: number[] = [];
  private waiting: { n: number; resolve: (codes: number[]) => void; reject: (e: Error) => void } | undefined;
  private failed: Error | undefined;

  constructor(socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let eol = this.buffer.indexOf('\r\n'); eol >= 0; eol = this.buffer.indexOf('\r\n')) {
        const line = this.buffer.slice(0, eol);
        this.buffer = this.buffer.slice(eol + 2);
        if (line[3] !== '-') this.codes.push(Number(line.slice(0, 3)));
      }
      this.settle();
    });
    const fail = (e: Error) => {
      this.failed = e;
      this.waiting?.reject(e);
      this.waiting = undefined;
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  private settle(): void {
    if (this.waiting && this.codes.length >= this.waiting.n) {
      const w = this.waiting;
      this.waiting = undefined;
      w.resolve(this.codes.splice(0, w.n));
    }
  }

  /** Resolves with the next `n` final reply codes (one caller at a time). */
  next(n: number): Promise<number[]> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.waiting = { n, resolve, reject };
      this.settle();
    });
  }
}

function expectOk(codes: number[], what: string): void {
  for (const c of codes) if (!(c >= 200 && c < 300) && c !== 354) throw new Error(`wire client: ${what} answered ${c}`);
}

/** The next message to send, or undefined when the run is over. */
type Source = () => WireMessage | undefined;

async function oneConnection(port: number, next: Source, stuffed: Map<WireMessage, Buffer>): Promise<number> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  const replies = new Replies(socket);
  expectOk(await replies.next(1), 'greeting');
  socket.write('EHLO bench.local\r\n');
  expectOk(await replies.next(1), 'EHLO');
  let sent = 0;
  const envelope = (m: WireMessage) => `MAIL FROM:<${m.from}>\r\nRCPT TO:<${m.to}>\r\nDATA\r\n`;
  let current = next();
  if (current) socket.write(envelope(current));
  while (current) {
    expectOk(await replies.next(3), 'envelope');
    const following = next();
    // The body, then the next envelope in the same write: one round trip per message.
    socket.write(following ? Buffer.concat([stuffed.get(current)!, Buffer.from(envelope(following))]) : stuffed.get(current)!);
    expectOk(await replies.next(1), 'end of data');
    sent += 1;
    current = following;
  }
  socket.end('QUIT\r\n');
  return sent;
}

/**
 * Sends every message once, or with `durationMs` the messages over and over (in turn) until that
 * long has passed: a run long enough that its rate is not a start-up blip or one busy second of
 * the machine. Resolves with how many the sink accepted and the milliseconds it took.
 */
export async function sendAtWireLimit(
  port: number,
  messages: readonly WireMessage[],
  connections: number,
  options: { durationMs?: number } = {},
): Promise<{ sent: number; ms: number }> {
  const stuffed = new Map(messages.map((m) => [m, dotStuff(m.raw)]));
  let i = 0;
  const t = performance.now();
  const next: Source = options.durationMs
    ? () => (performance.now() - t < options.durationMs! ? messages[i++ % messages.length] : undefined)
    : () => messages[i++];
  const counts = await Promise.all(Array.from({ length: connections }, () => oneConnection(port, next, stuffed)));
  return { sent: counts.reduce((a, b) => a + b, 0), ms: performance.now() - t };
}
