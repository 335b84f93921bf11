import { MAX_CLIENT_NAME } from './socket-limits.js';

/**
 * The PostgreSQL wire protocol's frames as DATA_DIR's socket (database-socket.ts) reads and writes
 * them: pure functions over bytes, unit-tested in test/unit/db.socket-frames.test.ts.
 */

const Z = 0x5a; // ReadyForQuery
/** CopyInResponse: PGlite asks for COPY … FROM STDIN data, which the socket never passes on (see COPY_FAIL). */
const COPY_IN_RESPONSE = 0x47; // G

export function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

export function message(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(type), int32(body.length + 4), body]);
}

/** An ErrorResponse: severity ERROR or FATAL, a SQLSTATE and the message. */
export function errorMessage(severity: 'ERROR' | 'FATAL', sqlstate: string, text: string): Buffer {
  const fields = [`S${severity}`, `V${severity}`, `C${sqlstate}`, `M${text}`].map((f) => Buffer.from(`${f}\0`));
  return message('E', Buffer.concat([...fields, Buffer.from([0])]));
}

/**
 * Sent to PGlite right after every Query and Execute (database-socket.ts). Outside COPY, PostgreSQL
 * ignores a CopyFail, as the protocol says; when the statement was COPY … FROM STDIN, it is the
 * input that COPY reads next, so the COPY fails at once with this reason, inside the same call.
 * Without it PGlite would read past the end of its input, and its backend would exit or spin.
 */
export const COPY_REFUSED =
  'COPY FROM STDIN is not supported through the digest serve socket; use INSERT, or stop serve and use the database directly';
export const COPY_FAIL: Buffer = message('f', Buffer.from(`${COPY_REFUSED}\0`));

function lengthAt(reply: Uint8Array, i: number): number {
  return ((reply[i + 1]! << 24) | (reply[i + 2]! << 16) | (reply[i + 3]! << 8) | reply[i + 4]!) >>> 0;
}

/** A reply without the messages of the given types, every other one whole and in order. */
function without(reply: Uint8Array, drop: (type: number) => boolean): Uint8Array {
  const kept: Uint8Array[] = [];
  let dropped = false;
  let i = 0;
  while (i + 5 <= reply.length) {
    const end = i + 1 + lengthAt(reply, i);
    if (drop(reply[i]!)) dropped = true;
    else kept.push(reply.subarray(i, end));
    i = end;
  }
  if (!dropped) return reply;
  return kept.length === 1 ? kept[0]! : Buffer.concat(kept);
}

/** A reply with its ReadyForQuery messages taken out. */
export function withoutReadyForQuery(reply: Uint8Array): Uint8Array {
  return without(reply, (t) => t === Z);
}

/**
 * A reply with its CopyInResponse taken out: the client never enters COPY IN mode (psql would start
 * reading its standard input, node-postgres would answer with a CopyFail); it sees only the error
 * the refused COPY ended with.
 */
export function withoutCopyIn(reply: Uint8Array): Uint8Array {
  return without(reply, (t) => t === COPY_IN_RESPONSE);
}

/** The transaction status of the last ReadyForQuery in a reply ('I' idle, 'T' in a transaction, 'E' failed one), if any. */
export function lastReadyStatus(reply: Uint8Array): string | undefined {
  let status: string | undefined;
  let i = 0;
  while (i + 5 <= reply.length) {
    const length = lengthAt(reply, i);
    if (reply[i] === Z && length === 5 && i + 5 < reply.length) status = String.fromCharCode(reply[i + 5]!);
    i += 1 + length;
  }
  return status;
}

/**
 * The application_name of a startup packet's parameters (after its length and protocol version),
 * printable and short, for the logs and the message a waiting request gets; "no application_name"
 * without one.
 */
export function applicationName(parameters: Uint8Array): string {
  const fields = Buffer.from(parameters).toString('utf8').split('\0');
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] !== 'application_name') continue;
    const name = fields[i + 1]!.replace(/[^\x20-\x7e]/g, '').slice(0, MAX_CLIENT_NAME);
    if (name) return `"${name}"`;
  }
  return 'no application_name';
}

/** What node-postgres and most drivers look for before the first query. */
export function startupParameters(): Buffer[] {
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
