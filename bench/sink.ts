/**
 * The benchmark's SMTP sink: a minimal responder on loopback that accepts every message and counts
 * it per recipient, storing nothing. It runs in its own process (bench/run.ts forks it) so it never
 * takes the sender's event loop. It speaks ESMTP with PIPELINING (RFC 2920): replies are written in
 * the order of the commands, however many arrive in one read. No early-talker delay, no TLS, no AUTH.
 *
 * A relay far away: SINK_LATENCY_MS=L writes every reply L ms late, the greeting too, in the order
 * the commands came (one timer per batch of replies; equal delays fire in order). A client that
 * waits for each reply then costs one L per round trip, as it would against a relay L ms away.
 * SINK_MAX_CONNECTIONS=M answers a connection beyond M open ones `421 4.7.0 too many connections`
 * at greeting and closes it, as busy relays do.
 *
 * Parent → child messages: {type:'stats'} answers the counts (and the peak of open connections);
 * {type:'reset'} zeroes them.
 */
import { createServer, type Socket } from 'node:net';

/** Recipients `reader<N>@…` are counted in a typed array by N; anything else in a Map. */
let byNumber = new Uint16Array(1 << 20);
let byAddress = new Map<string, number>();
let messages = 0;
let bytes = 0;
let duplicates = 0;
let recipients = 0;

const LATENCY_MS = Number(process.env.SINK_LATENCY_MS ?? 0);
const MAX_CONNECTIONS = Number(process.env.SINK_MAX_CONNECTIONS ?? 0) || Number.POSITIVE_INFINITY;
/** Open connections now, the most open at once since the last reset, all accepted, all refused. */
const connections = { open: 0, peak: 0, accepted: 0, refused: 0 };

function countRecipient(address: string): void {
  recipients += 1;
  const m = /^reader(\d+)@/i.exec(address);
  if (m) {
    const n = Number(m[1]);
    if (n >= byNumber.length) {
      const grown = new Uint16Array(Math.max(n + 1, byNumber.length * 2));
      grown.set(byNumber);
      byNumber = grown;
    }
    if (byNumber[n]! >= 1) duplicates += 1;
    byNumber[n] = Math.min(65535, byNumber[n]! + 1);
    return;
  }
  const seen = byAddress.get(address) ?? 0;
  if (seen >= 1) duplicates += 1;
  byAddress.set(address, seen + 1);
}

function stats() {
  let distinct = byAddress.size;
  for (let i = 0; i < byNumber.length; i++) if (byNumber[i]! > 0) distinct += 1;
  return { messages, recipients, distinct, duplicates, bytes, connections: { ...connections } };
}

/** Writes (or, with `end`, writes and closes) now, or LATENCY_MS later. */
function reply(socket: Socket, text: string, end = false): void {
  const write = () => {
    if (socket.destroyed) return;
    if (end) socket.end(text);
    else socket.write(text);
  };
  if (LATENCY_MS > 0) setTimeout(write, LATENCY_MS);
  else write();
}

const END = Buffer.from('\r\n.\r\n');

function serve(socket: Socket): void {
  socket.setNoDelay(true);
  socket.on('error', () => undefined);
  if (connections.open >= MAX_CONNECTIONS) {
    connections.refused += 1;
    reply(socket, '421 4.7.0 too many connections\r\n', true);
    return;
  }
  connections.open += 1;
  connections.accepted += 1;
  connections.peak = Math.max(connections.peak, connections.open);
  socket.once('close', () => (connections.open -= 1));
  let data = false;
  let pending: Buffer<ArrayBufferLike> = Buffer.alloc(0);
  let rcpts: string[] = [];
  let size = 0;
  reply(socket, '220 bench-sink ESMTP\r\n');
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let out = '';
    while (pending.length > 0) {
      if (data) {
        // The end of DATA may straddle reads: search from 4 bytes before the new chunk.
        const at = pending.indexOf(END, 0);
        if (at < 0) {
          // Keep only a short tail to search with the next read; count what is dropped.
          if (pending.length > 4) {
            size += pending.length - 4;
            pending = pending.subarray(pending.length - 4);
          }
          break;
        }
        size += at;
        pending = pending.subarray(at + END.length);
        data = false;
        messages += 1;
        bytes += size;
        for (const r of rcpts) countRecipient(r);
        rcpts = [];
        out += '250 2.0.0 queued\r\n';
        continue;
      }
      const eol = pending.indexOf('\r\n');
      if (eol < 0) break;
      const line = pending.toString('latin1', 0, eol);
      pending = pending.subarray(eol + 2);
      const verb = line.slice(0, 4).toUpperCase();
      switch (verb) {
        case 'EHLO':
          out += '250-bench-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 52428800\r\n';
          break;
        case 'HELO':
          out += '250 bench-sink\r\n';
          break;
        case 'MAIL':
          rcpts = [];
          out += '250 2.1.0 ok\r\n';
          break;
        case 'RCPT': {
          const m = /<([^>]*)>/.exec(line);
          rcpts.push((m?.[1] ?? '').toLowerCase());
          out += '250 2.1.5 ok\r\n';
          break;
        }
        case 'DATA':
          data = true;
          size = 0;
          out += '354 go ahead\r\n';
          // The message may start in this very read: restore the CRLF the END search needs.
          pending = Buffer.concat([Buffer.from('\r\n'), pending]);
          break;
        case 'RSET':
          rcpts = [];
          out += '250 ok\r\n';
          break;
        case 'NOOP':
          out += '250 ok\r\n';
          break;
        case 'QUIT':
          reply(socket, out + '221 bye\r\n', true);
          return;
        default:
          out += '502 5.5.2 not implemented\r\n';
      }
    }
    if (out) reply(socket, out);
  });
}

const server = createServer(serve);
server.listen(Number(process.env.SINK_PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  if (process.send) process.send({ type: 'ready', port });
  else process.stdout.write(`sink listening on 127.0.0.1:${port}\n`);
});

process.on('message', (msg: { type: string }) => {
  if (msg.type === 'stats') process.send!({ type: 'stats', ...stats(), cpu: process.cpuUsage(), maxRss: process.resourceUsage().maxRSS });
  if (msg.type === 'reset') {
    byNumber = new Uint16Array(1 << 20);
    byAddress = new Map();
    messages = bytes = duplicates = recipients = 0;
    connections.peak = connections.open;
    connections.accepted = connections.refused = 0;
    process.send!({ type: 'reset' });
  }
});
process.on('disconnect', () => process.exit(0));
