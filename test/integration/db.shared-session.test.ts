import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  migrate,
  openDatabase,
  serveDatabaseSocket,
  type Database,
  type Db,
  type DatabaseSocket,
  type OpenDatabase,
} from '../../src/db/index.js';
import { claimDeliveries, createDeliveries } from '../../src/delivery/index.js';
import { seedReaders } from '../helpers/delivery.js';

/**
 * The embedded engine shared through DATA_DIR's socket (db/database-socket.ts): the server's own
 * queries and any number of socket clients on PGlite's one session, never inside each other's
 * transactions, and the claim handing each delivery to exactly one of them.
 */
describe('the embedded database shared through its socket', () => {
  const dir = mkdtempSync(join(tmpdir(), 'digest-socket-'));
  let server: OpenDatabase;
  let socket: DatabaseSocket;
  const clients: pg.Client[] = [];
  const client = async () => {
    const c = new pg.Client({ host: dir, port: 5432, user: 'digest', database: 'digest' });
    await c.connect();
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    server = await openDatabase({ dataDir: dir, command: 'serve' });
    await migrate(server.db);
    socket = (await serveDatabaseSocket(server.session!, dir, { holdSeconds: 60 }))!;
    await server.db.schema.createTable('t').addColumn('x', 'integer').execute();
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) await c.end().catch(() => undefined);
    await socket?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is a socket only its owner may open', () => {
    expect(statSync(socket.path).mode & 0o777).toBe(0o600);
  });

  it("keeps a client's transaction whole: others wait for its COMMIT and never see it half-done", async () => {
    const a = await client();
    const b = await client();
    await a.query('BEGIN');
    await a.query('INSERT INTO t VALUES ($1)', [1]);
    const order: string[] = [];
    const fromB = b.query<{ n: number }>('SELECT count(*)::int AS n FROM t').then((r) => {
      order.push('b');
      return r.rows[0]!.n;
    });
    const fromServer = sql<{ n: number }>`SELECT count(*)::int AS n FROM t`.execute(server.db).then((r) => {
      order.push('server');
      return r.rows[0]!.n;
    });
    await a.query('INSERT INTO t VALUES ($1)', [2]);
    order.push('a commits');
    await a.query('COMMIT');
    expect(await fromB).toBe(2);
    expect(await fromServer).toBe(2);
    expect(order[0]).toBe('a commits');
    await sql`DELETE FROM t`.execute(server.db);
  });

  it("keeps the server's own transaction whole too", async () => {
    const b = await client();
    let seen: number | undefined;
    await server.db.transaction().execute(async (trx) => {
      await sql`INSERT INTO t VALUES (7)`.execute(trx);
      const q = b.query<{ n: number }>('SELECT count(*)::int AS n FROM t').then((r) => (seen = r.rows[0]!.n));
      await new Promise((r) => setTimeout(r, 50));
      expect(seen).toBeUndefined();
      await sql`INSERT INTO t VALUES (8)`.execute(trx);
      void q;
    });
    await new Promise((r) => setTimeout(r, 0));
    expect((await b.query<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0]!.n).toBe(2);
    expect(seen).toBe(2);
    await sql`DELETE FROM t`.execute(server.db);
  });

  it('rolls back a client that leaves mid-transaction and gives the session back', async () => {
    const a = await client();
    a.on('error', () => {}); // its own connection ending under it, below
    await a.query('BEGIN');
    await a.query('INSERT INTO t VALUES ($1)', [99]);
    a.connection.stream.destroy(); // the process died: no ROLLBACK, no Terminate
    const rows = await sql<{ n: number }>`SELECT count(*)::int AS n FROM t`.execute(server.db);
    expect(rows.rows[0]!.n).toBe(0);
  });

  it("a client's failed statement does not disturb the others, and parameterised queries from many clients never mix", async () => {
    const a = await client();
    const b = await client();
    await expect(a.query('SELECT $1::int AS n', ['not a number'])).rejects.toThrow(/invalid input syntax for type integer/);
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        i % 3 === 2
          ? sql<{ n: number }>`SELECT ${i}::int AS n`.execute(server.db).then((r) => r.rows[0]!.n)
          : (i % 3 ? a : b).query<{ n: number }>('SELECT $1::int AS n', [i]).then((r) => r.rows[0]!.n),
      ),
    );
    expect(results).toEqual(Array.from({ length: 60 }, (_, i) => i));
  });

  it('a parameterised query failing at Parse gets one error, and the next query and the server run as usual', async () => {
    const a = await client();
    const errors: unknown[] = [];
    const serverSide = Promise.all(
      Array.from({ length: 20 }, (_, i) => sql<{ n: number }>`SELECT ${i}::int AS n`.execute(server.db).then((r) => r.rows[0]!.n)),
    );
    await a.query('SELECT nope FROM t WHERE x = $1', [1]).catch((e: unknown) => errors.push(e));
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/column "nope" does not exist/);
    expect((await a.query<{ n: number }>('SELECT $1::int AS n', [5])).rows).toEqual([{ n: 5 }]);
    expect(await serverSide).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('refuses COPY … FROM STDIN (which stops the embedded backend) and keeps answering', async () => {
    const a = await client();
    await expect(a.query('COPY t FROM STDIN')).rejects.toThrow(/COPY FROM STDIN is not supported/);
    await expect(a.query({ name: 'copy-in', text: 'copy t from stdin', values: [] })).rejects.toThrow(/COPY FROM STDIN is not supported/);
    await a.query('BEGIN');
    await expect(a.query('/* bulk */ COPY t (x) FROM STDIN')).rejects.toThrow(/COPY FROM STDIN is not supported/);
    // Failed inside the transaction, as PostgreSQL's own error would have left it.
    await expect(a.query('SELECT 1')).rejects.toThrow(/current transaction is aborted/);
    await a.query('ROLLBACK');
    expect((await a.query<{ n: number }>('SELECT $1::int AS n', [3])).rows).toEqual([{ n: 3 }]);
    expect((await sql<{ n: number }>`SELECT 4::int AS n`.execute(server.db)).rows).toEqual([{ n: 4 }]);
  });

  it('closes a connection sending a message type PGlite must not be given, and the server keeps answering', async () => {
    for (const frame of [frameOf('?', Buffer.from('x')), frameOf('d', Buffer.from('1\n')), Buffer.from([0, 0, 0, 0, 4])]) {
      const raw = await rawClient(socket.path);
      raw.socket.write(frame);
      await raw.closed;
    }
    const bad = await rawClient(socket.path);
    bad.socket.write(Buffer.concat([Buffer.from('Q'), int32(2)])); // a length below its own 4 bytes
    await bad.closed;
    expect((await sql<{ n: number }>`SELECT 6::int AS n`.execute(server.db)).rows).toEqual([{ n: 6 }]);
  });

  it('rolls back what a client ran with Execute when it dies before its Sync', async () => {
    const raw = await rawClient(socket.path);
    raw.socket.on('error', () => {});
    raw.socket.write(
      Buffer.concat([
        frameOf('P', Buffer.concat([Buffer.from('\0INSERT INTO t VALUES ($1)\0'), Buffer.from([0, 0])])),
        frameOf('B', Buffer.concat([Buffer.from('\0\0'), Buffer.from([0, 0, 0, 1]), int32(2), Buffer.from('42'), Buffer.from([0, 0])])),
        frameOf('E', Buffer.concat([Buffer.from('\0'), int32(0)])),
        frameOf('H', Buffer.alloc(0)),
      ]),
    );
    await raw.until((r) => r.includes(frameOf('C', Buffer.from('INSERT 0 1\0')))); // the INSERT ran
    raw.socket.destroy(); // no Sync: PostgreSQL rolls the implicit transaction back
    const rows = await sql<{ n: number }>`SELECT count(*)::int AS n FROM t`.execute(server.db);
    expect(rows.rows[0]!.n).toBe(0);
  });

  it('the claim gives each delivery to exactly one of the server and a CLI claiming at once', async () => {
    await seedReaders(server.db, 120);
    const edition = (await server.db
      .insertInto('editions')
      .values({
        date: '2020-01-02',
        slot: '06:00',
        status: 'sending',
        send_at: new Date('2020-01-02T06:00:00Z'),
        window_start: new Date('2020-01-01T06:00:00Z'),
        window_end: new Date('2020-01-02T06:00:00Z'),
        cutoff_at: new Date('2099-01-01T00:00:00Z'),
      } as never)
      .returning(['id', 'kind'] as never)
      .executeTakeFirstOrThrow()) as unknown as { id: number; kind: 'daily' };
    expect(await createDeliveries(server.db, edition, 'UTC')).toBe(120);
    const pool = new pg.Pool({ host: dir, port: 5432, user: 'digest', database: 'digest', max: 1 });
    const cli: Db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    try {
      const claimAll = async (db: Db) => {
        const ids: number[] = [];
        for (;;) {
          const { claimed } = await claimDeliveries(db, [Number(edition.id)], 7, 300);
          if (claimed.length === 0) return ids;
          ids.push(...claimed.map((c) => Number(c.id)));
          // "Sending" them: a worker gives the session up between claims, so the other gets turns.
          await new Promise((r) => setTimeout(r, 5));
        }
      };
      const [byServer, byCli] = await Promise.all([claimAll(server.db), claimAll(cli)]);
      expect(byServer.length).toBeGreaterThan(0);
      expect(byCli.length).toBeGreaterThan(0);
      expect(new Set([...byServer, ...byCli]).size).toBe(120);
      expect(byServer.length + byCli.length).toBe(120);
    } finally {
      await cli.destroy();
    }
  });
});

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

function frameOf(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(type), int32(body.length + 4), body]);
}

/** A bare protocol-3 client past its startup, for frames node-postgres never sends. */
async function rawClient(path: string) {
  const socket: Socket = connect(path);
  let received = Buffer.alloc(0);
  const waiters: Array<() => void> = [];
  socket.on('data', (d) => {
    received = Buffer.concat([received, d]);
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  const until = async (done: (r: Buffer) => boolean) => {
    while (!done(received)) await new Promise<void>((r) => waiters.push(r));
  };
  const params = Buffer.from('user\0digest\0database\0digest\0\0');
  socket.write(Buffer.concat([int32(params.length + 8), int32(196608), params]));
  await until((r) => r.includes(frameOf('Z', Buffer.from('I'))));
  return { socket, closed, until };
}
