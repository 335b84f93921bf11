/**
 * A TCP proxy on 127.0.0.1 that makes a relay on loopback look far away: every chunk, in each
 * direction, is passed on `latencyMs / 2` later, so a round trip through it gains `latencyMs`. Order
 * is kept (one queue per direction, drained oldest first). Bandwidth is not limited and the proxy
 * reads as fast as it can: what it models is the delay, not a slow link or a small TCP window.
 * Benchmark only (bench/chunking.ts).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface LatencyProxy {
  readonly port: number;
  close(): Promise<void>;
}

/** Passes `from`'s bytes to `to`, each chunk `delayMs` after it arrived; ends `to` after the last one. */
function delayed(from: Socket, to: Socket, delayMs: number): void {
  const queue: { at: number; chunk: Buffer }[] = [];
  /** A drain is scheduled: one at a time, for the oldest chunk. */
  let scheduled = false;
  let ended = false;
  const drain = () => {
    scheduled = false;
    const now = performance.now();
    while (queue.length > 0 && queue[0]!.at <= now) to.write(queue.shift()!.chunk);
    if (queue.length > 0) schedule(queue[0]!.at - now);
    else if (ended) to.end();
  };
  const schedule = (ms: number) => {
    scheduled = true;
    setTimeout(drain, ms);
  };
  from.on('data', (chunk: Buffer) => {
    queue.push({ at: performance.now() + delayMs, chunk });
    if (!scheduled) schedule(delayMs);
  });
  from.on('end', () => {
    ended = true;
    if (!scheduled) schedule(0);
  });
}

/** Listens on a free port of 127.0.0.1 and forwards each connection to `targetPort` there. */
export function startLatencyProxy(targetPort: number, latencyMs: number): Promise<LatencyProxy> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const relay = connect({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, relay]) {
      s.setNoDelay(true);
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    // A side that ends cleanly ends the other once its delayed bytes are out (delayed()); one that
    // fails resets the other at once, as a lost connection would.
    client.on('error', () => relay.destroy());
    relay.on('error', () => client.destroy());
    delayed(client, relay, latencyMs / 2);
    delayed(relay, client, latencyMs / 2);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (!address || typeof address === 'string') return reject(new Error('latency proxy: no port'));
      resolve({
        port: address.port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
