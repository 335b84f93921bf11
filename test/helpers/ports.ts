import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A port a test must know before the server that will listen on it starts (a PostgreSQL cluster,
 * which takes no port 0; PUBLIC_URL in a config; a relay that is down, then comes back), reserved
 * so that it is never free for another process to take: not from the probe to the server's listen,
 * not while the server is stopped.
 *
 * (A port read from a server on port 0 that is then closed is free from that moment: a parallel test
 * or any other process can listen on it, or get it as the local port of an outgoing connection,
 * before the test's server does. That was the race of the old freePort(), and of PORT=0 before
 * startService held its port. Everything that can listen on port 0 itself should instead: an
 * in-process server reads its port from `address()` once it listens, and `digest serve` with PORT=0
 * prints the address it chose.)
 *
 * Node cannot make a TCP socket that is bound and does not listen, except as the local end of an
 * outgoing connection: so the port is the local port of a connection of ours to a listener of ours,
 * bound (by Node, as every bind, with SO_REUSEADDR) the moment listen(0) has picked it. What that
 * gives, checked on Linux:
 *
 * - Connecting to it is refused (ECONNREFUSED, as at a stopped server): nothing listens there, and
 *   our connection has the other listener at its far end. A listener that destroyed each connection
 *   would not do: a client would see a connection open, then close.
 * - The kernel never hands it out again while it is reserved: not to a listen(0), not as the local
 *   port of an outgoing connection.
 * - A server that binds this very port with SO_REUSEADDR, as Node's and PostgreSQL's do, can listen
 *   on it while it is still reserved, and then gets the connections. When that server stops, the port
 *   is back to refusing and still reserved; so it is handed over without ever being free.
 * - Only a process that chose this port number on purpose could bind it too (with SO_REUSEADDR); no
 *   other process is told it.
 *
 * `release()` resets our connection (no TIME_WAIT), at the end of the test.
 */
export interface ReservedPort {
  readonly port: number;
  /** Ends the reservation: a server listening on the port keeps it. Idempotent. */
  release(): Promise<void>;
}

export async function reservePort(): Promise<ReservedPort> {
  const accepted = new Set<Socket>();
  const anchor = createServer((s) => {
    accepted.add(s);
    s.unref();
    // Our reset reaches this end as ECONNRESET.
    s.on('error', () => {});
    s.on('close', () => accepted.delete(s));
  });
  // A test that fails before release() must not be kept alive by the reservation.
  anchor.unref();
  await listenOnAnyPort(anchor);
  const anchorPort = (anchor.address() as AddressInfo).port;
  for (let attempt = 1; ; attempt++) {
    // The port listen(0) picks (one the kernel keeps for listeners, not for outgoing connections),
    // bound again by our connection a tick after the probe lets it go: taken in that tick, another one.
    const probe = createServer();
    await listenOnAnyPort(probe);
    const port = (probe.address() as AddressInfo).port;
    probe.close();
    const holder = connect({ port: anchorPort, host: '127.0.0.1', localAddress: '127.0.0.1', localPort: port });
    holder.on('error', () => {});
    holder.unref();
    try {
      await new Promise<void>((resolve, reject) => {
        holder.once('connect', resolve);
        holder.once('error', reject);
      });
    } catch (err) {
      holder.destroy();
      if (attempt < 3 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
      anchor.close();
      throw err;
    }
    let released: Promise<void> | undefined;
    return {
      port,
      release: () =>
        (released ??= (() => {
          holder.resetAndDestroy();
          for (const s of accepted) s.destroy();
          return new Promise<void>((resolve) => anchor.close(() => resolve()));
        })()),
    };
  }
}

function listenOnAnyPort(server: ReturnType<typeof createServer>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}
