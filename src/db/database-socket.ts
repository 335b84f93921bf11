import { chmodSync, existsSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { PGliteSession } from './pglite-session.js';

/**
 * `digest serve` on the embedded engine shares its database with the CLI through a unix socket in
 * DATA_DIR that speaks the PostgreSQL wire protocol; the CLI connects to it with node-postgres
 * (host = DATA_DIR, the socket named as PostgreSQL names its own). The data directory stays one
 * process's, as PGlite requires; the CLI's statements run in the server's process.
 *
 * Every connection shares the server's one session (pglite-session.ts): a client takes the session
 * lock at its first message and keeps it until PGlite reports the session idle again (ReadyForQuery
 * 'I') in answer to a Sync, a Query or a FunctionCall, so a transaction or an extended-protocol
 * exchange (Parse … Sync) is never interleaved with anyone else's statements, the server's own
 * included. A ReadyForQuery in the reply to any other message (pglite#958: an early one after a failed
 * Parse) is dropped: it would free the session before the client's Sync and answer one Sync twice.
 *
 * Only the message types of a simple and an extended-protocol session reach PGlite. Anything else,
 * a zero or unknown type (the backend hangs in execProtocolRawSync, pglite#1058) and COPY … FROM STDIN
 * (the backend exits and takes the process with it), would stop serve; the first closes the
 * connection, the second is answered with an error.
 *
 * Rejected: @electric-sql/pglite-socket 0.2.17. It pins @electric-sql/pglite 0.5.14 exactly (we are on
 * 0.5.16), and its multiplexer interleaves clients message by message outside a transaction, so two
 * clients' Parse/Bind/Execute (every parameterised query node-postgres sends) can mix, and it does not
 * coordinate with queries made in-process through PGlite's own API.
 */
export const SOCKET_PORT = 5432;

/** The socket's path inside DATA_DIR, as node-postgres builds it from host = DATA_DIR, port = 5432. */
export function databaseSocketPath(dataDir: string): string {
  return join(dataDir, `.s.PGSQL.${SOCKET_PORT}`);
}

/** A unix socket path longer than this does not fit in sockaddr_un (108 bytes on Linux, 104 on macOS). */
const MAX_SOCKET_PATH = 100;

/** A client that holds the session and then says nothing for this long is cut off, so it cannot stall the server. */
const HOLD_IDLE_MS = 60_000;

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

/** Query, Parse, Bind, Execute, Describe, Close, Sync, Flush, FunctionCall: what PGlite is given. Terminate (X) closes. */
const FORWARDED = new Set('QPBEDCSHF');
/** Replies to these end with the ReadyForQuery that says where the session stands. */
const ANSWERED_BY_READY = new Set('SQF');
/** A message longer than this is not one the CLI sends; a frame this size is a broken or hostile client. */
const MAX_MESSAGE = 64 * 1024 * 1024;
/** Conservative: a query mentioning COPY … FROM STDIN anywhere (a second statement, after a comment) is refused. */
const COPY_FROM_STDIN = /\bcopy\b[\s\S]*\bfrom\s+stdin\b/i;

export interface DatabaseSocket {
  readonly path: string;
  close(): Promise<void>;
}

/**
 * Listens on DATA_DIR's socket; returns undefined when the path is too long for a unix socket (the
 * CLI then reports the data directory as held, as before).
 */
export async function serveDatabaseSocket(session: PGliteSession, dataDir: string): Promise<DatabaseSocket | undefined> {
  const path = databaseSocketPath(dataDir);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) return undefined;
  // One left by a server that died: the data-dir lock (taken before this) proves no one serves it.
  if (existsSync(path)) rmSync(path, { force: true });
  const clients = new Set<SessionClient>();
  const server: Server = createServer((socket) => {
    const client = new SessionClient(session, socket, () => clients.delete(client));
    clients.add(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // The database is the owner's: no one else on the machine may connect, not even in the moment
    // between bind() and a chmod. Node binds a unix socket synchronously inside listen(), so the
    // owner-only umask covers exactly the socket's creation and is put back at once.
    const umask = process.umask(0o177);
    try {
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      process.umask(umask);
    }
  });
  chmodSync(path, 0o600);
  return {
    path,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...clients].map((c) => c.close()));
      await closed;
      rmSync(path, { force: true });
    },
  };
}

/** One CLI connection: frames its messages, runs them in order on the shared session, writes the replies back. */
class SessionClient {
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;
  private release: (() => void) | undefined;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private idle: NodeJS.Timeout | undefined;
  /** After a refused Parse, the rest of the exchange is dropped until its Sync, as PostgreSQL does after an error. */
  private discardUntilSync = false;

  constructor(
    private readonly session: PGliteSession,
    private readonly socket: Socket,
    private readonly onGone: () => void,
  ) {
    socket.on('data', (data) => this.receive(data));
    socket.on('error', () => void this.close());
    socket.on('close', () => void this.close());
  }

  private receive(data: Buffer): void {
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
    while (!this.closed) {
      if (!this.started) {
        if (this.buffer.length < 8) return;
        const length = this.buffer.readInt32BE(0);
        const code = this.buffer.readInt32BE(4);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          this.buffer = this.buffer.subarray(8);
          this.socket.write('N'); // a local socket: no TLS, as PostgreSQL answers on its own
          continue;
        }
        if (code === CANCEL_REQUEST || code !== PROTOCOL_3 || length < 8 || length > 10_000) {
          void this.close(); // no backend to signal; anything else is not a PostgreSQL client
          return;
        }
        if (this.buffer.length < length) return;
        this.buffer = this.buffer.subarray(length);
        this.started = true;
        // The startup parameters (user, database, application_name) describe a session of its own;
        // this one is shared, so they are read past and the session is declared ready at once.
        this.socket.write(Buffer.concat([message('R', int32(0)), ...startupParameters(), message('Z', Buffer.from('I'))]));
        continue;
      }
      if (this.buffer.length < 5) return;
      const type = String.fromCharCode(this.buffer[0]!);
      const length = this.buffer.readInt32BE(1);
      if (type === 'X' || !FORWARDED.has(type) || length < 4 || length > MAX_MESSAGE) {
        void this.close(); // Terminate, or not a message PGlite can be given safely
        return;
      }
      if (this.buffer.length < 1 + length) return;
      const msg = this.buffer.subarray(0, 1 + length);
      this.buffer = this.buffer.subarray(1 + length);
      const copy = new Uint8Array(msg);
      this.chain = this.chain.then(() => this.run(copy)).catch(() => void this.close());
    }
  }

  private async run(msg: Uint8Array): Promise<void> {
    if (this.closed) return;
    if (!this.release) {
      this.release = await this.session.lock();
      // Gone while it waited: close() gives the session back; nothing of this client runs any more.
      if (this.closed) return;
    }
    this.armIdleTimer();
    const type = String.fromCharCode(msg[0]!);
    let sent = msg;
    if (type === 'S') this.discardUntilSync = false;
    else if (this.discardUntilSync) return;
    if ((type === 'Q' || type === 'P') && COPY_FROM_STDIN.test(queryText(msg))) {
      if (type === 'P') {
        this.write(errorResponse());
        this.discardUntilSync = true;
        return;
      }
      // Raised inside PGlite, so the session's transaction fails as PostgreSQL's would and the
      // ReadyForQuery that follows tells the truth about it.
      sent = message(
        'Q',
        Buffer.from(`DO $$BEGIN RAISE EXCEPTION USING ERRCODE = 'feature_not_supported', MESSAGE = '${COPY_REFUSED}'; END$$\0`),
      );
    }
    const reply = await this.session.pglite.execProtocolRaw(sent);
    if (ANSWERED_BY_READY.has(type)) {
      this.write(reply);
      if (lastReadyStatus(reply) === 'I') this.giveBack();
    } else {
      this.write(withoutReadyForQuery(reply));
    }
  }

  private write(reply: Uint8Array): void {
    if (reply.length > 0 && !this.socket.destroyed) this.socket.write(reply);
  }

  private armIdleTimer(): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => void this.close(), HOLD_IDLE_MS);
    this.idle.unref();
  }

  private giveBack(): void {
    clearTimeout(this.idle);
    const release = this.release;
    this.release = undefined;
    release?.();
  }

  /** Ends the connection; a client that left mid-transaction has its work rolled back before the session is given back. */
  async close(): Promise<void> {
    if (this.closed) return this.chain;
    this.closed = true;
    this.socket.destroy();
    this.onGone();
    await this.chain.catch(() => undefined);
    if (this.release) {
      try {
        const pglite = this.session.pglite;
        if (!pglite.closed) {
          // ROLLBACK first: it aborts the implicit transaction of an Execute whose Sync never came,
          // which a Sync would commit. After an error PGlite ignores it until the Sync; the Sync then
          // ends that exchange, and a transaction the client had opened is rolled back after it.
          await pglite.execProtocolRaw(message('Q', Buffer.from('ROLLBACK\0')));
          const status = lastReadyStatus(await pglite.execProtocolRaw(message('S', Buffer.alloc(0))));
          if (status !== 'I') await pglite.execProtocolRaw(message('Q', Buffer.from('ROLLBACK\0')));
        }
      } catch {
        /* the engine is closing: nothing left to roll back */
      } finally {
        this.giveBack();
      }
    }
  }
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

function message(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(type), int32(body.length + 4), body]);
}

/** What node-postgres and most drivers look for before the first query. */
function startupParameters(): Buffer[] {
  const params: Record<string, string> = {
    server_version: '17',
    server_encoding: 'UTF8',
    client_encoding: 'UTF8',
    DateStyle: 'ISO, MDY',
    integer_datetimes: 'on',
    standard_conforming_strings: 'on',
  };
  return Object.entries(params).map(([k, v]) => message('S', Buffer.from(`${k}\0${v}\0`)));
}

const COPY_REFUSED =
  'COPY FROM STDIN is not supported through the digest serve socket; use INSERT, or stop serve and use the database directly';

/** The SQL of a Query, or of a Parse (after its statement name). */
function queryText(msg: Uint8Array): string {
  const body = Buffer.from(msg.buffer, msg.byteOffset + 5, msg.length - 5);
  const start = msg[0] === 0x50 /* P */ ? body.indexOf(0) + 1 : 0;
  const end = body.indexOf(0, start);
  return body.toString('utf8', start, end < 0 ? body.length : end);
}

/** An ErrorResponse refusing COPY FROM STDIN (SQLSTATE 0A000, feature_not_supported). */
function errorResponse(): Buffer {
  const fields = [`SERROR`, `VERROR`, `C0A000`, `M${COPY_REFUSED}`].map((f) => Buffer.from(`${f}\0`));
  return message('E', Buffer.concat([...fields, Buffer.from([0])]));
}

/** A reply with its ReadyForQuery messages taken out. */
export function withoutReadyForQuery(reply: Uint8Array): Uint8Array {
  const kept: Uint8Array[] = [];
  let i = 0;
  while (i + 5 <= reply.length) {
    const length = ((reply[i + 1]! << 24) | (reply[i + 2]! << 16) | (reply[i + 3]! << 8) | reply[i + 4]!) >>> 0;
    if (reply[i] !== 0x5a /* Z */) kept.push(reply.subarray(i, i + 1 + length));
    i += 1 + length;
  }
  return kept.length === 1 ? kept[0]! : Buffer.concat(kept);
}

/** The transaction status of the last ReadyForQuery in a reply ('I' idle, 'T' in a transaction, 'E' failed one), if any. */
export function lastReadyStatus(reply: Uint8Array): string | undefined {
  let status: string | undefined;
  let i = 0;
  while (i + 5 <= reply.length) {
    const type = reply[i]!;
    const length = ((reply[i + 1]! << 24) | (reply[i + 2]! << 16) | (reply[i + 3]! << 8) | reply[i + 4]!) >>> 0;
    if (type === 0x5a /* Z */ && length === 5 && i + 5 < reply.length) status = String.fromCharCode(reply[i + 5]!);
    i += 1 + length;
  }
  return status;
}
