import type { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { DatabaseBusyError } from '../../src/db/index.js';
import { PGliteSession, SERVICE } from '../../src/db/pglite-session.js';

/**
 * The embedded engine's one session lock (db/pglite-session.ts): the service's own queries wait a
 * bounded time while a client of DATA_DIR's socket holds it, and as long as needed behind the
 * service's own work. No engine is needed: the lock never touches it.
 */
const session = () => new PGliteSession({} as PGlite);
const socket = (name: string, holdMs = 60_000) => ({ kind: 'socket' as const, name, holdMs });
const later = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('waiting for the embedded session', () => {
  it('refuses a service query after its wait while a socket client holds the session, naming it and when it ends', async () => {
    const s = session();
    const release = await s.lock(socket('"psql"', 10_000));
    const started = Date.now();
    const err = await s.lock(SERVICE, 100).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DatabaseBusyError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect((err as DatabaseBusyError).retryAfterSeconds).toBeGreaterThanOrEqual(9);
    expect((err as DatabaseBusyError).retryAfterSeconds).toBeLessThanOrEqual(10);
    expect((err as DatabaseBusyError).message).toMatch(/held by a client of its socket in DATA_DIR \("psql"\)/);
    release();
    // The refused caller's turn is passed on: the next one gets the session at once.
    const next = await Promise.race([s.lock(SERVICE, 100), later(1_000).then(() => undefined)]);
    expect(next).toBeTypeOf('function');
  });

  it("keeps a service query waiting behind the service's own work, however long, and refuses it once a socket client holds", async () => {
    const s = session();
    const own = await s.lock(SERVICE);
    let got = false;
    const waiting = s.lock(SERVICE, 50).then((r) => {
      got = true;
      return r;
    });
    await later(200);
    expect(got).toBe(false);
    own();
    (await waiting)();
    expect(got).toBe(true);

    const first = await s.lock(SERVICE);
    const clientTurn = s.lock(socket('"digest status"'));
    const behind = s.lock(SERVICE, 50).then(
      () => 'got it',
      (e: unknown) => (e instanceof DatabaseBusyError ? 'busy' : 'other'),
    );
    await later(120);
    first(); // the socket client takes the session next, and holds it
    const held = await clientTurn;
    expect(await behind).toBe('busy');
    held();
  });

  it('waits without bound when no wait is given (socket clients queue behind each other)', async () => {
    const s = session();
    const a = await s.lock(socket('"a"'));
    let got = false;
    const b = s.lock(socket('"b"')).then((r) => {
      got = true;
      return r;
    });
    await later(150);
    expect(got).toBe(false);
    a();
    (await b)();
  });
});
