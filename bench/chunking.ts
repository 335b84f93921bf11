/**
 * Issue 17: where the relay offers CHUNKING (RFC 3030), does BDAT with PIPELINING put more messages
 * in flight per connection than DATA, and so send more per second to a relay far away?
 *
 * DATA, as the project's sender does it (src/delivery/smtp/smtp-pipeline.ts): per message
 * `MAIL FROM / RCPT TO / DATA` pipelined, wait for the 354, then the body together with the next
 * message's envelope. The 354 has to come back before a body may go, so a connection has at most
 * one body unanswered: one round trip per message. BDAT: per message
 * `MAIL FROM:<…>\r\nRCPT TO:<…>\r\nBDAT <size> LAST\r\n` and the body's bytes (no dot-stuffing, no
 * 354), so a connection can have W messages written and unanswered (the window); the client reads
 * three replies per message, in order.
 *
 * The relay: Debian's Postfix on 127.0.0.1:2525 (PIPELINING and CHUNKING on by default), which takes
 * mail from loopback for any recipient and discards it. It is set up by bench/postfix-relay.sh
 * (idempotent; `--setup-postfix` here runs it). What it does, by hand:
 *
 *   apt-get update
 *   echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
 *   DEBIAN_FRONTEND=noninteractive apt-get install -y postfix
 *   touch /etc/postfix/main.cf
 *   postconf -e 'compatibility_level = 3.6' 'myhostname = bench.local' 'mydestination =' 'relay_domains =' \
 *     'alias_maps =' 'alias_database =' 'inet_interfaces = loopback-only' 'inet_protocols = ipv4' \
 *     'mynetworks = 127.0.0.0/8' 'smtpd_relay_restrictions = permit_mynetworks, reject' \
 *     'smtpd_recipient_restrictions = check_recipient_access hash:/etc/postfix/bench_recipient_access, permit_mynetworks, reject' \
 *     'default_transport = discard:bench relay' 'relay_transport = discard:bench relay' 'local_transport = discard:bench relay' \
 *     'smtpd_tls_security_level = none' 'smtp_tls_security_level = none' \
 *     'smtpd_client_connection_count_limit = 200' 'smtpd_client_event_limit_exceptions = 127.0.0.0/8' \
 *     'default_process_limit = 200' 'maillog_file = /var/log/postfix-bench.log'
 *   printf 'reject@refused.invalid 550 5.1.1 bench: this recipient is refused\n' >  /etc/postfix/bench_recipient_access
 *   printf 'defer@refused.invalid 450 4.2.1 bench: this recipient is deferred\n' >> /etc/postfix/bench_recipient_access
 *   postmap hash:/etc/postfix/bench_recipient_access
 *   postconf -F 'STAR/STAR/chroot = n'       (STAR is `*`, for every service: no chroot, which would need /etc copies)
 *   postconf -M# smtp/inet
 *   postconf -Me '127.0.0.1:2525/inet = 127.0.0.1:2525 inet n - n - - smtpd'
 *   postfix start                            (no systemd here; `postfix stop` stops it)
 *
 * Far away: bench/latency-proxy.ts sits between client and Postfix and passes every chunk on L/2 ms
 * late in each direction (a round trip gains L ms).
 *
 * Run: `npx tsx bench/chunking.ts` (every cell, then the failure edges), or with
 * `--seconds 10 --latencies 0,50 --connections 1,4,16 --windows 1,4,16 --port 2525`, `--edges-only`,
 * `--no-edges`, `--setup-postfix`. Not part of `npm test` or .ci/run: it needs Postfix.
 * Results: a table on stdout and bench/results/chunking-<time>.json.
 *
 * What it showed (2026-11-30, 2 busy cores, 45 KB messages, Postfix 3.7.11, 10 s a cell):
 * - In flight per connection: DATA at most one body (mean 0.75-0.98), BDAT the window W (mean ≈ W).
 * - Relay 50 ms away, msg/s: 1 connection DATA 16, BDAT W=1 16, W=4 47, W=16 178; 4 connections
 *   DATA 62, BDAT W=16 248; 16 connections DATA 190, BDAT W=4 254, W=16 303; DATA at 32 and 64
 *   connections 199 and 176. Postfix's own CPU (4-6 ms a message here) caps the total near 300.
 * - Postfix holds every BDAT reply about 40 ms (Nagle against our delayed ACK, see edgeNagle), so
 *   BDAT W=1 is slower than DATA on loopback (20 against 147 msg/s) and a window's gain is about
 *   W × (1 / (round trip + 40 ms)), not W × (1 / round trip).
 * - Refusals inside a BDAT pipeline (edgeRefusals): RCPT 550 or 450 → the BDAT gets
 *   `554 5.5.1 Error: no valid recipients`; MAIL 552 → RCPT and BDAT get 503; in every case Postfix
 *   consumed the chunk, ended the transaction (no RSET needed) and the next messages went through.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLatencyProxy } from './latency-proxy.js';
import { dotStuff } from './wire-client.js';

const here = dirname(fileURLToPath(import.meta.url));
const POSTFIX_LOG = '/var/log/postfix-bench.log';
const POSTFIX_SPOOL = '/var/spool/postfix';

interface Reply {
  readonly code: number;
  /** Every line of the reply, joined by `\n`. */
  readonly text: string;
}

/** Whole replies in arrival order; replies that come before anyone waits are kept. */
class ReplyReader {
  private buffer = '';
  private lines: string[] = [];
  private readonly replies: Reply[] = [];
  private waiting: { n: number; resolve: (r: Reply[]) => void; reject: (e: Error) => void } | undefined;
  private failed: Error | undefined;
  /** Every reply as it came, with ms since the reader started, when a transcript is wanted. */
  readonly log: { ms: number; reply: Reply }[] | undefined;
  private readonly t0 = performance.now();

  constructor(socket: Socket, keepLog = false) {
    this.log = keepLog ? [] : undefined;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let eol = this.buffer.indexOf('\r\n'); eol >= 0; eol = this.buffer.indexOf('\r\n')) {
        const line = this.buffer.slice(0, eol);
        this.buffer = this.buffer.slice(eol + 2);
        this.lines.push(line);
        if (line[3] === '-') continue;
        const reply = { code: Number(line.slice(0, 3)), text: this.lines.join('\n') };
        this.lines = [];
        this.replies.push(reply);
        this.log?.push({ ms: performance.now() - this.t0, reply });
      }
      this.settle();
    });
    const fail = (e: Error) => {
      this.failed ??= e;
      this.waiting?.reject(this.failed);
      this.waiting = undefined;
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  private settle(): void {
    if (this.waiting && this.replies.length >= this.waiting.n) {
      const w = this.waiting;
      this.waiting = undefined;
      w.resolve(this.replies.splice(0, w.n));
    }
  }

  /** Resolves with the next `n` replies (one caller at a time). */
  next(n: number): Promise<Reply[]> {
    if (this.failed && this.replies.length < n) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.waiting = { n, resolve, reject };
      this.settle();
    });
  }
}

const good = (r: Reply) => r.code >= 200 && r.code < 300;

function expectGood(replies: Reply[], what: string): void {
  for (const r of replies) if (!good(r)) throw new Error(`chunking bench: ${what} answered ${r.text}`);
}

interface Message {
  readonly from: string;
  readonly to: string;
  readonly messageId: string;
  /** CRLF message as BDAT sends it. */
  readonly raw: Buffer;
}

/**
 * A message of about `bytes`: the headers a digest has, a few random bytes in them (Message-ID, a
 * boundary) and a quoted-printable-like body of 76-character lines, some starting with a dot so that
 * DATA has something to stuff.
 */
export function buildMessage(i: number, to: string, bytes = 45 * 1024): Message {
  const messageId = `${randomBytes(12).toString('hex')}.${i}@bench.local`;
  const boundary = randomBytes(9).toString('hex');
  const head = [
    'From: Daily Digest <digest@bench.local>',
    `To: <${to}>`,
    `Subject: Daily digest ${i}`,
    `Message-ID: <${messageId}>`,
    'Date: Mon, 30 Nov 2026 06:00:00 +0000',
    'MIME-Version: 1.0',
    `List-Unsubscribe: <https://bench.local/u/${randomBytes(16).toString('base64url')}>`,
    'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
  ].join('\r\n');
  const lines: string[] = [];
  let size = head.length;
  for (let n = 0; size < bytes - 100; n++) {
    const line = (n % 40 === 0 ? '.' : '') + randomBytes(57).toString('base64');
    lines.push(line);
    size += line.length + 2;
  }
  const raw = Buffer.from(`${head}\r\n${lines.join('\r\n')}\r\n--${boundary}--\r\n`, 'latin1');
  return { from: 'bounces@bench.local', to, messageId, raw };
}

/** How one run went, summed over its connections. */
interface Tally {
  sent: number;
  refused: number;
  /** Bodies written and not yet answered, integrated over time (message·ms), and the most at once on one connection. */
  inFlightArea: number;
  maxInFlight: number;
}

/** Tracks one connection's bodies in flight over time. */
function inFlightMeter(tally: Tally) {
  let n = 0;
  let since = performance.now();
  const step = (d: number) => {
    const now = performance.now();
    tally.inFlightArea += n * (now - since);
    since = now;
    n += d;
    tally.maxInFlight = Math.max(tally.maxInFlight, n);
  };
  return { up: () => step(1), down: () => step(-1), stop: () => step(0) };
}

async function open(port: number, keepLog = false): Promise<{ socket: Socket; replies: ReplyReader; ehlo: Reply }> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  const replies = new ReplyReader(socket, keepLog);
  expectGood(await replies.next(1), 'greeting');
  socket.write('EHLO bench.local\r\n');
  const [ehlo] = await replies.next(1);
  expectGood([ehlo!], 'EHLO');
  return { socket, replies, ehlo: ehlo! };
}

type Source = () => number | undefined;

const envelope = (m: Message) => `MAIL FROM:<${m.from}>\r\nRCPT TO:<${m.to}>\r\nDATA\r\n`;
const bdat = (m: Message) =>
  Buffer.concat([Buffer.from(`MAIL FROM:<${m.from}>\r\nRCPT TO:<${m.to}>\r\nBDAT ${m.raw.length} LAST\r\n`), m.raw]);

/** DATA, the way the project pipelines it: the body goes with the next envelope; one body unanswered at most. */
async function dataConnection(
  port: number,
  messages: readonly Message[],
  stuffed: readonly Buffer[],
  next: Source,
  tally: Tally,
): Promise<void> {
  const { socket, replies } = await open(port);
  const meter = inFlightMeter(tally);
  let current = next();
  if (current !== undefined) socket.write(envelope(messages[current]!));
  while (current !== undefined) {
    const [mail, rcpt, data] = await replies.next(3);
    expectGood([mail!, rcpt!], 'envelope');
    if (data!.code !== 354) throw new Error(`chunking bench: DATA answered ${data!.text}`);
    const following = next();
    const body = stuffed[current]!;
    socket.write(following === undefined ? body : Buffer.concat([body, Buffer.from(envelope(messages[following]!))]));
    meter.up();
    const [end] = await replies.next(1);
    meter.down();
    if (good(end!)) tally.sent += 1;
    else tally.refused += 1;
    current = following;
  }
  meter.stop();
  socket.end('QUIT\r\n');
}

/** BDAT: up to `window` messages written and unanswered; each window's new messages go out in one write. */
async function bdatConnection(port: number, framed: readonly Buffer[], window: number, next: Source, tally: Tally): Promise<void> {
  const { socket, replies, ehlo } = await open(port);
  if (!/^250[- ]CHUNKING$/m.test(ehlo.text)) throw new Error('chunking bench: the relay does not offer CHUNKING');
  const meter = inFlightMeter(tally);
  let inFlight = 0;
  let more = true;
  const fill = () => {
    const batch: Buffer[] = [];
    while (more && inFlight < window) {
      const i = next();
      if (i === undefined) more = false;
      else {
        batch.push(framed[i]!);
        inFlight += 1;
        meter.up();
      }
    }
    if (batch.length > 0) socket.write(batch.length === 1 ? batch[0]! : Buffer.concat(batch));
  };
  fill();
  while (inFlight > 0) {
    const [mail, rcpt, chunk] = await replies.next(3);
    inFlight -= 1;
    meter.down();
    if (good(mail!) && good(rcpt!) && good(chunk!)) tally.sent += 1;
    else tally.refused += 1;
    fill();
  }
  meter.stop();
  socket.end('QUIT\r\n');
}

export type Mode = { kind: 'DATA' } | { kind: 'BDAT'; window: number };

export interface Cell {
  mode: string;
  window: number;
  latencyMs: number;
  connections: number;
  seconds: number;
  sent: number;
  refused: number;
  rate: number;
  perConnectionRate: number;
  /** Time-averaged bodies written and unanswered per connection, and the most on one connection. */
  meanInFlight: number;
  maxInFlight: number;
  /** Messages Postfix delivered (to discard) in this run, from its log: should equal `sent`. */
  relayDelivered: number | undefined;
  /** CPU per message sent: this client (and the latency proxy, same process), and Postfix. */
  clientCpuMsPerMessage: number;
  relayCpuMsPerMessage: number | undefined;
}

/** Sends the pool of messages over and over on `connections` connections for `seconds`. */
async function runCell(port: number, pool: readonly Message[], mode: Mode, connections: number, seconds: number) {
  const stuffed = pool.map((m) => dotStuff(m.raw));
  const framed = pool.map(bdat);
  const tally: Tally = { sent: 0, refused: 0, inFlightArea: 0, maxInFlight: 0 };
  let i = 0;
  const t = performance.now();
  const next: Source = () => (performance.now() - t < seconds * 1000 ? i++ % pool.length : undefined);
  await Promise.all(
    Array.from({ length: connections }, () =>
      mode.kind === 'DATA' ? dataConnection(port, pool, stuffed, next, tally) : bdatConnection(port, framed, mode.window, next, tally),
    ),
  );
  return { tally, ms: performance.now() - t };
}

/**
 * CPU seconds Postfix has used: the master with the children it has reaped, plus its live children
 * (smtpd, cleanup, qmgr, discard, …). Undefined when the master is not found.
 */
function relayCpuSeconds(): number | undefined {
  let master: number;
  try {
    master = Number(readFileSync(join(POSTFIX_SPOOL, 'pid/master.pid'), 'latin1').trim());
  } catch {
    return undefined;
  }
  const ticks = (pid: string, withChildren: boolean): number | undefined => {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
      // After the name: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
      if (!withChildren && Number(rest[1]) !== master) return undefined;
      return Number(rest[11]) + Number(rest[12]) + (withChildren ? Number(rest[13]) + Number(rest[14]) : 0);
    } catch {
      return undefined;
    }
  };
  let total = ticks(String(master), true);
  if (total === undefined) return undefined;
  for (const pid of readdirSync('/proc')) if (/^\d+$/.test(pid) && Number(pid) !== master) total += ticks(pid, false) ?? 0;
  return total / 100;
}

/** Bytes in Postfix's log so far, and messages delivered since a given offset. */
function logSize(): number {
  return existsSync(POSTFIX_LOG) ? statSync(POSTFIX_LOG).size : 0;
}

function logSince(offset: number): string {
  if (!existsSync(POSTFIX_LOG)) return '';
  return readFileSync(POSTFIX_LOG).subarray(offset).toString('latin1');
}

function deliveredSince(offset: number): number {
  return logSince(offset).match(/status=sent \(bench relay\)/g)?.length ?? 0;
}

/** Files in Postfix's incoming and active queues: 0 once it has delivered all it took. */
function queued(): number {
  let n = 0;
  for (const q of ['incoming', 'active']) {
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name));
        else n += 1;
      }
    };
    try {
      walk(join(POSTFIX_SPOOL, q));
    } catch {
      return -1;
    }
  }
  return n;
}

/** Waits (up to 30 s) until Postfix has delivered what it took: the next run must not pay for this one's tail. */
async function settleRelay(offset: number, expected: number): Promise<number | undefined> {
  const deadline = performance.now() + 30_000;
  let delivered = 0;
  while (performance.now() < deadline) {
    delivered = deliveredSince(offset);
    if (delivered >= expected && queued() === 0) return delivered;
    await new Promise((r) => setTimeout(r, 250));
  }
  return existsSync(POSTFIX_LOG) ? delivered : undefined;
}

async function matrix(o: Options, log: (line: string) => void): Promise<Cell[]> {
  const pool = Array.from({ length: 200 }, (_, i) => buildMessage(i, `reader${i}@example.com`));
  const modes: Mode[] = [{ kind: 'DATA' }, ...o.windows.map((window): Mode => ({ kind: 'BDAT', window }))];
  const cells: Cell[] = [];
  for (const latencyMs of o.latencies) {
    const proxy = latencyMs > 0 ? await startLatencyProxy(o.port, latencyMs) : undefined;
    try {
      for (const connections of o.connections) {
        for (const mode of modes) {
          const offset = logSize();
          const relayCpu = relayCpuSeconds();
          const clientCpu = process.cpuUsage();
          const { tally, ms } = await runCell(proxy?.port ?? o.port, pool, mode, connections, o.seconds);
          const client = process.cpuUsage(clientCpu);
          const relayDelivered = await settleRelay(offset, tally.sent);
          const relayCpuAfter = relayCpuSeconds();
          const cell: Cell = {
            mode: mode.kind,
            window: mode.kind === 'BDAT' ? mode.window : 1,
            latencyMs,
            connections,
            seconds: ms / 1000,
            sent: tally.sent,
            refused: tally.refused,
            rate: tally.sent / (ms / 1000),
            perConnectionRate: tally.sent / (ms / 1000) / connections,
            meanInFlight: tally.inFlightArea / ms / connections,
            maxInFlight: tally.maxInFlight,
            relayDelivered,
            clientCpuMsPerMessage: (client.user + client.system) / 1000 / Math.max(1, tally.sent),
            relayCpuMsPerMessage:
              relayCpu === undefined || relayCpuAfter === undefined
                ? undefined
                : ((relayCpuAfter - relayCpu) * 1000) / Math.max(1, tally.sent),
          };
          cells.push(cell);
          log(formatRow(cell));
        }
      }
    } finally {
      await proxy?.close();
    }
  }
  return cells;
}

const HEAD = [
  'latency',
  'conns',
  'mode',
  'W',
  'msg/s',
  'msg/s/conn',
  'in flight/conn (mean)',
  'max',
  'sent',
  'relay delivered',
  'client CPU/msg',
  'relay CPU/msg',
];

function formatRow(c: Cell): string {
  return [
    `${c.latencyMs} ms`.padStart(7),
    String(c.connections).padStart(5),
    c.mode.padStart(4),
    (c.mode === 'BDAT' ? String(c.window) : '-').padStart(2),
    c.rate.toFixed(0).padStart(6),
    c.perConnectionRate.toFixed(1).padStart(10),
    c.meanInFlight.toFixed(2).padStart(21),
    String(c.maxInFlight).padStart(3),
    String(c.sent).padStart(6),
    String(c.relayDelivered ?? '?').padStart(15),
    `${c.clientCpuMsPerMessage.toFixed(2)} ms`.padStart(14),
    (c.relayCpuMsPerMessage === undefined ? '?' : `${c.relayCpuMsPerMessage.toFixed(2)} ms`).padStart(13),
  ].join('  ');
}

/** One connection, everything written at once: what Postfix answers to refusals in the middle of a BDAT pipeline. */
async function edgeRefusals(port: number): Promise<string[]> {
  const plan: { label: string; from: string; to: string; mailParams?: string }[] = [
    { label: '1 accepted recipient', from: 'bounces@bench.local', to: 'ok1@example.com' },
    { label: '2 recipient refused 550 by the access map', from: 'bounces@bench.local', to: 'reject@refused.invalid' },
    { label: '3 accepted recipient', from: 'bounces@bench.local', to: 'ok3@example.com' },
    { label: '4 recipient refused 450 by the access map', from: 'bounces@bench.local', to: 'defer@refused.invalid' },
    {
      label: '5 MAIL FROM refused (SIZE over message_size_limit)',
      from: 'bounces@bench.local',
      to: 'ok5@example.com',
      mailParams: ' SIZE=999999999',
    },
    { label: '6 accepted recipient', from: 'bounces@bench.local', to: 'ok6@example.com' },
  ];
  const messages = plan.map((p, i) => buildMessage(1000 + i, p.to));
  const offset = logSize();
  const { socket, replies } = await open(port, true);
  const wire = Buffer.concat(
    plan.map((p, i) => {
      const m = messages[i]!;
      return Buffer.concat([
        Buffer.from(`MAIL FROM:<${p.from}>${p.mailParams ?? ''}\r\nRCPT TO:<${p.to}>\r\nBDAT ${m.raw.length} LAST\r\n`),
        m.raw,
      ]);
    }),
  );
  socket.write(Buffer.concat([wire, Buffer.from('NOOP\r\nQUIT\r\n')]));
  await new Promise((r) => socket.once('close', r));
  await settleRelay(offset, 4);
  const relayLog = logSince(offset);
  const out = [
    `one write of ${plan.length} BDAT messages (${wire.length} bytes), then NOOP and QUIT; replies in order:`,
    ...(replies.log ?? []).map((l) => `  +${l.ms.toFixed(1).padStart(6)} ms  ${l.reply.text.replace(/\n/g, ' | ')}`),
    'which reached the relay (cleanup logged its Message-ID, discard delivered it):',
  ];
  for (const [i, p] of plan.entries()) {
    const id = messages[i]!.messageId;
    const queueId = relayLog.match(new RegExp(`cleanup\\[\\d+\\]: (\\w+): message-id=<${id.replace(/\./g, '\\.')}>`))?.[1];
    const delivered = queueId !== undefined && new RegExp(`${queueId}: to=<[^>]*>.*status=sent`).test(relayLog);
    out.push(`  ${p.label}: ${queueId ? `queued as ${queueId}, ${delivered ? 'delivered' : 'NOT delivered'}` : 'not taken'}`);
  }
  const notes = relayLog.split('\n').filter((l) => /smtpd\[\d+\]: (NOQUEUE|warning|disconnect)/.test(l));
  out.push('Postfix log (smtpd NOQUEUE / warning / disconnect lines):', ...notes.map((l) => `  ${l.replace(/^\S+ +\S+ +\S+ +\S+ +/, '')}`));
  return out;
}

/**
 * A connection lost with a full window: W messages written at once, the first message's replies
 * read, then the socket reset. The client knows of one; the relay may have taken more: every one
 * without a reply is uncertain, and the log tells how many of those the relay really has.
 */
async function edgeLostConnection(port: number, window: number, latencyMs: number): Promise<string[]> {
  const proxy = latencyMs > 0 ? await startLatencyProxy(port, latencyMs) : undefined;
  try {
    const messages = Array.from({ length: window }, (_, i) => buildMessage(2000 + i, `lost${i}@example.com`));
    const offset = logSize();
    const { socket, replies } = await open(proxy?.port ?? port);
    socket.write(Buffer.concat(messages.map(bdat)));
    const first = await replies.next(3);
    socket.resetAndDestroy();
    await settleRelay(offset, 0);
    await new Promise((r) => setTimeout(r, 1000));
    const relayLog = logSince(offset);
    const taken = messages.filter((m) => relayLog.includes(`message-id=<${m.messageId}>`)).length;
    const delivered = relayLog.match(/status=sent \(bench relay\)/g)?.length ?? 0;
    return [
      `relay ${latencyMs} ms away, window ${window}: ${window} messages written, first message answered (${first.map((r) => r.code).join(' ')}), connection reset:`,
      `  acknowledged to the client: 1; unanswered (uncertain): ${window - 1}; taken by the relay: ${taken} (delivered ${delivered}),` +
        ` so of the uncertain ${taken - 1} would be duplicated by a resend and ${window - taken} would be lost without it`,
    ];
  } finally {
    await proxy?.close();
  }
}

/**
 * Why BDAT with a window of 1 is slow on loopback (tcpdump shows it): Postfix's smtpd does not set
 * TCP_NODELAY and writes the MAIL and RCPT replies in one small segment, the BDAT reply in a second;
 * Nagle's algorithm holds the second until our ACK of the first, and our kernel, with nothing to
 * send, delays that ACK (40 ms on Linux). A NOOP written as soon as the MAIL and RCPT replies arrive
 * carries that ACK, and the BDAT reply comes at once, but the NOOP's own reply is then held the same
 * way: the stall moves, it does not go. Only a client that mostly has more to send (a full window of
 * several messages) avoids it. DATA does not meet it: the 354 is the last reply before the client
 * sends, and the client's body carries the ACK.
 */
async function edgeNagle(port: number, count = 60): Promise<string[]> {
  const pool = Array.from({ length: 10 }, (_, i) => buildMessage(3000 + i, `nagle${i}@example.com`));
  const framed = pool.map(bdat);
  const perMessage: Record<string, number> = {};
  for (const kick of [false, true]) {
    const { socket, replies } = await open(port);
    const t = performance.now();
    for (let i = 0; i < count; i++) {
      socket.write(framed[i % framed.length]!);
      if (kick) {
        expectGood(await replies.next(2), 'MAIL/RCPT');
        socket.write('NOOP\r\n');
        expectGood(await replies.next(2), 'BDAT/NOOP');
      } else expectGood(await replies.next(3), 'MAIL/RCPT/BDAT');
    }
    perMessage[kick ? 'with' : 'without'] = (performance.now() - t) / count;
    socket.end('QUIT\r\n');
  }
  return [
    `BDAT one message at a time on one connection, ${count} messages: ${perMessage.without!.toFixed(1)} ms a message;` +
      ` with a NOOP written as soon as the MAIL and RCPT replies arrive: ${perMessage.with!.toFixed(1)} ms a message (the stall moves to the NOOP's reply)`,
  ];
}

interface Options {
  port: number;
  seconds: number;
  latencies: number[];
  connections: number[];
  windows: number[];
  edges: boolean;
  cells: boolean;
  setup: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    port: 2525,
    seconds: 10,
    latencies: [0, 50],
    connections: [1, 4, 16],
    windows: [1, 4, 16],
    edges: true,
    cells: true,
    setup: false,
  };
  const list = (v: string | undefined) => (v ?? '').split(',').map(Number);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port') o.port = Number(argv[++i]);
    else if (a === '--seconds') o.seconds = Number(argv[++i]);
    else if (a === '--latencies') o.latencies = list(argv[++i]);
    else if (a === '--connections') o.connections = list(argv[++i]);
    else if (a === '--windows') o.windows = list(argv[++i]);
    else if (a === '--edges-only') o.cells = false;
    else if (a === '--no-edges') o.edges = false;
    else if (a === '--setup-postfix') o.setup = true;
    else throw new Error(`chunking bench: unknown argument ${a}`);
  }
  return o;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.setup) execFileSync('bash', [join(here, 'postfix-relay.sh')], { stdio: 'inherit' });
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const probe = await open(o.port);
  probe.socket.end('QUIT\r\n');
  log(
    `relay on 127.0.0.1:${o.port} offers: ${probe.ehlo.text
      .split('\n')
      .slice(1)
      .map((l) => l.slice(4))
      .join(', ')}`,
  );
  const result: { cells: Cell[]; edges: string[]; messageBytes: number } = {
    cells: [],
    edges: [],
    messageBytes: buildMessage(0, 'x@example.com').raw.length,
  };
  log(`message ${(result.messageBytes / 1024).toFixed(1)} KB; ${o.seconds} s per cell`);
  if (o.cells) {
    log(HEAD.join('  '));
    result.cells = await matrix(o, log);
  }
  if (o.edges) {
    result.edges.push(...(await edgeRefusals(o.port)));
    result.edges.push(...(await edgeNagle(o.port)));
    for (const latencyMs of [0, 50]) result.edges.push(...(await edgeLostConnection(o.port, 16, latencyMs)));
    log(result.edges.join('\n'));
  }
  const dir = join(here, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `chunking-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  log(`written: ${file}`);
}

await main();
