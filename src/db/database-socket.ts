import { chmodSync, existsSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../config/index.js';
import type { PGliteSession, SessionHolder } from './pglite-session.js';
import { fatalTimerInForce, queryMessage, resetSessionSync } from './session-settings.js';
import {
  applicationName,
  COPY_FAIL,
  errorMessage,
  int32,
  lastReadyStatus,
  message,
  startupParameters,
  withoutCopyIn,
  withoutReadyForQuery,
} from './socket-frames.js';
import { CUT_OFF_LINGER_MS, MAX_MESSAGE_BYTES, MAX_STARTUP_BYTES } from './socket-limits.js';

/**
 * `digest serve` on the embedded engine shares its database with the CLI through a unix socket in
 * DATA_DIR that speaks the PostgreSQL wire protocol; the CLI connects to it with node-postgres
 * (host = DATA_DIR, the socket named as PostgreSQL names its own), and the operator with
 * `psql -h DATA_DIR`. The data directory stays one process's, as PGlite requires; the clients'
 * statements run in the server's process.
 *
 * Every connection shares the server's one session (pglite-session.ts): a client takes the session
 * lock at its first message and keeps it until PGlite reports the session idle again (ReadyForQuery
 * 'I') in answer to a Sync, a Query or a FunctionCall, so a transaction or an extended-protocol
 * exchange (Parse … Sync) is never interleaved with anyone else's statements, the server's own
 * included. A ReadyForQuery in the reply to any other message (pglite#958: an early one after a failed
 * Parse) is dropped: it would free the session before the client's Sync and answer one Sync twice.
 *
 * What a client may not do to the server (README "Design"; limits in socket-limits.ts):
 * - Keep the session: a client holding it for DB_SOCKET_HOLD_SECONDS, counted from when it took it
 *   (its BEGIN, or its statement outside a transaction) and not restarted by its messages, is cut off
 *   with a FATAL and rolled back. Meanwhile the service's own queries give up after SERVICE_WAIT_MS
 *   (pglite-session.ts) and the web answers 503. A statement that is running cannot be interrupted
 *   (PGlite runs on serve's own thread and ignores statement_timeout): the cut comes when it ends.
 * - Leave settings behind: each time a client gives the session back, it is reset (DISCARD ALL and
 *   the service's settings, session-settings.ts), so the server never runs with a client's
 *   search_path, time zone or temporary tables, and the next client starts clean.
 * - Set a timer PGlite cannot run (session-settings.ts, FATAL_TIMER_SETTINGS): checked after each
 *   message, in the same turn of the event loop; the client is cut off and rolled back.
 * - COPY … FROM STDIN: refused by the protocol, not by reading the SQL: a CopyFail follows every
 *   Query and Execute into PGlite (socket-frames.ts, COPY_FAIL), so a COPY that asks for input fails
 *   at once, and its CopyInResponse is taken out of the reply. COPY … TO STDOUT runs, like a SELECT.
 * - Send anything else: a zero or unknown message type (the backend hangs in execProtocolRawSync,
 *   pglite#1058), or a CopyData, closes the connection.
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

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

/** Query, Parse, Bind, Execute, Describe, Close, Sync, Flush, FunctionCall: what PGlite is given. Terminate (X) closes. */
const FORWARDED = new Set('QPBEDCSHF');
/** Replies to these end with the ReadyForQuery that says where the session stands. */
const ANSWERED_BY_READY = new Set('SQF');
/** The statements that may start a COPY: each goes to PGlite followed by COPY_FAIL. */
const MAY_COPY = new Set('QE');

export interface DatabaseSocketOptions {
  /** DB_SOCKET_HOLD_SECONDS: how long one client may hold the session. */
  readonly holdSeconds: number;
  readonly log?: Logger;
}

export interface DatabaseSocket {
  readonly path: string;
  close(): Promise<void>;
}

/**
 * Listens on DATA_DIR's socket; returns undefined when the path is too long for a unix socket (the
 * CLI then reports the data directory as held, as before).
 */
export async function serveDatabaseSocket(
  session: PGliteSession,
  dataDir: string,
  options: DatabaseSocketOptions,
): Promise<DatabaseSocket | undefined> {
  const path = databaseSocketPath(dataDir);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) return undefined;
  // One left by a server that died: the data-dir lock (taken before this) proves no one serves it.
  if (existsSync(path)) rmSync(path, { force: true });
  const clients = new Set<SessionClient>();
  const server: Server = createServer((socket) => {
    const client = new SessionClient(session, socket, options, () => clients.delete(client));
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

/** One client connection: frames its messages, runs them in order on the shared session, writes the replies back. */
class SessionClient {
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;
  private name = 'no application_name';
  private release: (() => void) | undefined;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private holdTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly session: PGliteSession,
    private readonly socket: Socket,
    private readonly options: DatabaseSocketOptions,
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
        if (code === CANCEL_REQUEST || code !== PROTOCOL_3 || length < 8 || length > MAX_STARTUP_BYTES) {
          void this.close(); // no backend to signal; anything else is not a PostgreSQL client
          return;
        }
        if (this.buffer.length < length) return;
        this.name = applicationName(this.buffer.subarray(8, length));
        this.buffer = this.buffer.subarray(length);
        this.started = true;
        // The startup parameters (user, database) describe a session of its own; this one is shared,
        // so they are read past (application_name names the client) and the session is declared ready.
        this.socket.write(Buffer.concat([message('R', int32(0)), ...startupParameters(), message('Z', Buffer.from('I'))]));
        continue;
      }
      if (this.buffer.length < 5) return;
      const type = String.fromCharCode(this.buffer[0]!);
      const length = this.buffer.readInt32BE(1);
      if (type === 'X' || !FORWARDED.has(type) || length < 4 || length > MAX_MESSAGE_BYTES) {
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
      const holder: SessionHolder = { kind: 'socket', name: this.name, holdMs: this.options.holdSeconds * 1000 };
      this.release = await this.session.lock(holder);
      // Gone while it waited: close() gives the session back; nothing of this client runs any more.
      if (this.closed) return;
      // From taking the session, once: the client's messages do not restart it.
      this.holdTimer = setTimeout(() => void this.cutOff(), this.options.holdSeconds * 1000);
      this.holdTimer.unref();
    }
    const type = String.fromCharCode(msg[0]!);
    const pglite = this.session.pglite;
    // Synchronous from here to the reset: PGlite's timers run on this event loop, and none the client
    // set may fire before the session is checked or reset (session-settings.ts).
    const reply = pglite.execProtocolRawSync(MAY_COPY.has(type) ? Buffer.concat([msg, COPY_FAIL]) : msg);
    const idle = ANSWERED_BY_READY.has(type) && lastReadyStatus(reply) === 'I';
    const timer = idle ? undefined : fatalTimerInForce(pglite);
    if (idle) resetSessionSync(pglite);
    else if (timer) this.rollBackSync();
    await pglite.syncToFs();
    const answer = withoutCopyIn(ANSWERED_BY_READY.has(type) ? reply : withoutReadyForQuery(reply));
    this.write(answer);
    if (timer) {
      this.options.log?.warn(
        { event: 'db.socket_refused_setting', client: this.name, setting: timer },
        `a client of the database socket (${this.name}) set ${timer}, which PGlite cannot run: cut off and rolled back`,
      );
      // Not awaited: close() waits for this client's queue of messages, of which this is one.
      void this.close(
        errorMessage(
          'FATAL',
          '0A000',
          `${timer} cannot be used through the digest serve socket: PGlite cannot run its timer, and serve would stop when it fired. ` +
            'The transaction was rolled back. The socket ends any transaction after DB_SOCKET_HOLD_SECONDS.',
        ),
      );
    } else if (idle) {
      this.giveBack();
    }
  }

  private write(reply: Uint8Array): void {
    if (reply.length > 0 && !this.socket.destroyed && !this.socket.writableEnded) this.socket.write(reply);
  }

  /** DB_SOCKET_HOLD_SECONDS ran out: the client is told why, cut off and rolled back. */
  private async cutOff(): Promise<void> {
    if (this.closed || !this.release) return;
    const seconds = this.options.holdSeconds;
    this.options.log?.warn(
      { event: 'db.socket_cut_off', client: this.name, holdSeconds: seconds },
      `a client of the database socket (${this.name}) held the embedded database for ${seconds} s (DB_SOCKET_HOLD_SECONDS): cut off and rolled back`,
    );
    await this.close(
      errorMessage(
        'FATAL',
        '25P04',
        `terminating connection: it held the embedded database for ${seconds} s (DB_SOCKET_HOLD_SECONDS), ` +
          'which digest serve needs for its own requests; its transaction was rolled back',
      ),
    );
  }

  private giveBack(): void {
    clearTimeout(this.holdTimer);
    const release = this.release;
    this.release = undefined;
    release?.();
  }

  /**
   * ROLLBACK first: it aborts the implicit transaction of an Execute whose Sync never came, which a
   * Sync would commit. After an error PGlite ignores it until the Sync; the Sync then ends that
   * exchange, and a transaction the client had opened is rolled back after it. Then the reset.
   */
  private rollBackSync(): void {
    const pglite = this.session.pglite;
    pglite.execProtocolRawSync(queryMessage('ROLLBACK'));
    const status = lastReadyStatus(pglite.execProtocolRawSync(message('S', Buffer.alloc(0))));
    if (status !== 'I') pglite.execProtocolRawSync(queryMessage('ROLLBACK'));
    resetSessionSync(pglite);
  }

  /**
   * Ends the connection (with a last FATAL for the client, when it is cut off); a client that left
   * mid-transaction has its work rolled back, and the session reset, before it is given back.
   */
  async close(fatal?: Buffer): Promise<void> {
    if (this.closed) return this.chain;
    this.closed = true;
    clearTimeout(this.holdTimer);
    if (fatal && !this.socket.destroyed) {
      this.socket.end(fatal);
      setTimeout(() => this.socket.destroy(), CUT_OFF_LINGER_MS).unref();
    } else {
      this.socket.destroy();
    }
    this.onGone();
    await this.chain.catch(() => undefined);
    if (!this.release) return;
    try {
      const pglite = this.session.pglite;
      if (!pglite.closed) {
        this.rollBackSync();
        await pglite.syncToFs();
      }
    } catch {
      /* the engine is closing: nothing left to roll back */
    } finally {
      this.giveBack();
    }
  }
}
