import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDigest, stopChild } from '../helpers/cli.js';

/**
 * What a client of the embedded database's socket (`psql -h DATA_DIR`, a CLI command beside serve)
 * cannot do to a running `digest serve` (src/db/database-socket.ts): leave its settings to the
 * service, keep the database (DB_SOCKET_HOLD_SECONDS, counted from its BEGIN), stop PGlite with
 * COPY … FROM STDIN or a timer setting PGlite cannot run. Each time the real serve keeps answering:
 * /healthz, a sign-up and the archive, within a bound, and meanwhile says who holds it (503 with
 * Retry-After). The socket exists only on the embedded engine, so this file runs no PostgreSQL side.
 */
const HOLD_SECONDS = 6;
const SECRET = 'socket-limits-secret-0123456789';
/** Far above anything the server needs to answer once the database is free, far below a hang. */
const ANSWER_BOUND_MS = 15_000;

describe('a client of the embedded database socket cannot break or stall serve', () => {
  const dir = mkdtempSync(join(tmpdir(), 'digest-socket-limits-'));
  const env = {
    DATA_DIR: dir,
    SECRET,
    PORT: '0',
    DB_SOCKET_HOLD_SECONDS: String(HOLD_SECONDS),
    SIGNUP_LIMIT_PER_IP: '10000',
    SIGNUP_LIMIT_PER_ADDRESS: '1000',
  };
  let serve: { child: ChildProcess; output: () => string; match: RegExpMatchArray };
  let url = '';
  const clients: pg.Client[] = [];
  let signups = 0;

  const start = async () => {
    serve = await startDigest(['serve'], env, /listening on\s+(http:\/\/\S+)/, { timeoutMs: 90_000 });
    url = serve.match[1]!;
  };
  beforeAll(start, 120_000);
  afterAll(async () => {
    for (const c of clients) await c.end().catch(() => undefined);
    if (serve) await stopChild(serve.child, 'SIGTERM', 10_000);
    rmSync(dir, { recursive: true, force: true });
  });

  /** A socket client as the operator's psql would be, named by its application_name. */
  async function client(name: string): Promise<{ c: pg.Client; errors: Error[] }> {
    const c = new pg.Client({ host: dir, port: 5432, user: 'digest', database: 'digest', application_name: name });
    const errors: Error[] = [];
    c.on('error', (e) => errors.push(e));
    await c.connect();
    clients.push(c);
    return { c, errors };
  }

  /** A query that must answer within `ms` (a hung serve fails the test instead of stalling it). */
  function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
    return Promise.race([
      promise,
      new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer in ${ms / 1000} s`)), ms).unref()),
    ]);
  }

  async function get(path: string, accept = 'text/html') {
    const r = await fetch(`${url}${path}`, { headers: { accept }, signal: AbortSignal.timeout(ANSWER_BOUND_MS) });
    return { status: r.status, retryAfter: r.headers.get('retry-after'), body: await r.text() };
  }

  async function signUp() {
    signups += 1;
    const r = await fetch(`${url}/subscribe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ email: `reader${signups}@example.com` }),
      signal: AbortSignal.timeout(ANSWER_BOUND_MS),
    });
    return { status: r.status, retryAfter: r.headers.get('retry-after'), body: await r.text() };
  }

  /** /healthz (its database check), a sign-up and the archive all answer as usual, within the bound. */
  async function serverAnswers(): Promise<void> {
    const started = Date.now();
    const [health, signup, archive] = await Promise.all([get('/healthz', 'application/json'), signUp(), get('/editions')]);
    // The scheduler's own check may be failing for a minute after a tick that met a held database.
    expect((JSON.parse(health.body) as { checks: { database: { ok: boolean } } }).checks.database.ok, health.body).toBe(true);
    expect(signup.status, signup.body).toBe(200);
    expect(archive.status, archive.body.slice(0, 300)).toBe(200);
    expect(Date.now() - started).toBeLessThan(ANSWER_BOUND_MS);
  }

  /** While `name` holds the database: each request answers 503 within a few seconds, naming it, with Retry-After. */
  async function serverSaysHeldBy(name: string): Promise<void> {
    const started = Date.now();
    const [health, signup, archive] = await Promise.all([get('/healthz', 'application/json'), signUp(), get('/editions')]);
    const elapsed = Date.now() - started;
    for (const r of [health, signup, archive]) {
      expect(r.status, r.body.slice(0, 300)).toBe(503);
      const retryAfter = Number(r.retryAfter);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(HOLD_SECONDS);
    }
    expect(JSON.parse(signup.body)).toMatchObject({ error: 'database_busy', message: expect.stringContaining(`"${name}"`) });
    expect(archive.body).toContain('Busy for a moment');
    expect(archive.body).toContain(`&quot;${name}&quot;`);
    expect(elapsed).toBeLessThan(HOLD_SECONDS * 1000);
  }

  async function exists(table: string): Promise<boolean> {
    const { c } = await client('checker');
    const r = await c.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table]);
    await c.end();
    return r.rows[0]!.t !== null;
  }

  /** Resolves with the error the client is cut off with, or fails after `ms`. */
  async function cutOff(errors: Error[], ms: number): Promise<Error> {
    const until = Date.now() + ms;
    while (errors.length === 0) {
      if (Date.now() > until) throw new Error(`the client was not cut off within ${ms / 1000} s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return errors[0]!;
  }

  it("leaves none of a client's settings to the service or the next client, even while it stays connected", async () => {
    const { c: a } = await client('settings-leaver');
    await a.query('SET search_path TO pg_catalog');
    await a.query("SET TIME ZONE 'Asia/Tokyo'");
    await a.query('CREATE TEMP TABLE editions (id int)');
    await a.query('SET default_transaction_read_only TO on');
    // A setting lasts while its client holds the session: to the end of its statement, or of its
    // transaction. Its next statement starts from the service's settings too.
    expect((await a.query<{ search_path: string }>('SHOW search_path')).rows[0]!.search_path).toBe('public');
    await serverAnswers();

    await a.query('BEGIN');
    await a.query('SET search_path TO pg_catalog');
    expect((await a.query<{ search_path: string }>('SHOW search_path')).rows[0]!.search_path).toBe('pg_catalog');
    await a.query('COMMIT');
    await serverAnswers();

    const { c: b } = await client('next-client');
    const seen = await b.query<{ search_path: string; tz: string; temp: number; ro: string }>(
      `SELECT current_setting('search_path') AS search_path, current_setting('TimeZone') AS tz,
              current_setting('default_transaction_read_only') AS ro,
              (SELECT count(*)::int FROM pg_class WHERE relpersistence = 't') AS temp`,
    );
    expect(seen.rows[0]).toEqual({ search_path: 'public', tz: 'UTC', ro: 'off', temp: 0 });
    await a.end();
    await b.end();
    await serverAnswers();
  });

  it('cuts off a client that BEGINs and goes silent, after DB_SOCKET_HOLD_SECONDS, and serve answers 503 meanwhile', async () => {
    const { c: a, errors } = await client('silent-holder');
    const began = Date.now();
    await a.query('BEGIN');
    await a.query('CREATE TABLE held_work (x int)');
    await serverSaysHeldBy('silent-holder');
    const err = await cutOff(errors, (HOLD_SECONDS + 10) * 1000);
    expect(err.message).toMatch(new RegExp(`held the embedded database for ${HOLD_SECONDS} s \\(DB_SOCKET_HOLD_SECONDS\\)`));
    expect(Date.now() - began).toBeGreaterThanOrEqual(HOLD_SECONDS * 1000 - 500);
    await serverAnswers();
    expect(await exists('held_work')).toBe(false); // rolled back
  });

  it('counts the hold from BEGIN: a statement every half second does not keep the database longer', async () => {
    const { c: a, errors } = await client('chatty-holder');
    const began = Date.now();
    await a.query('BEGIN');
    let failed: unknown;
    while (Date.now() - began < 3 * HOLD_SECONDS * 1000) {
      await new Promise((r) => setTimeout(r, 500));
      failed = await within(ANSWER_BOUND_MS, 'SELECT 1', a.query('SELECT 1')).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (failed) break;
    }
    expect(failed, 'still holding the database after three times DB_SOCKET_HOLD_SECONDS').toBeDefined();
    expect(Date.now() - began).toBeLessThan((HOLD_SECONDS + 8) * 1000);
    expect(String(errors[0] ?? failed)).toMatch(/DB_SOCKET_HOLD_SECONDS/);
    await serverAnswers();
  });

  it('cannot interrupt a running statement (PGlite ignores statement_timeout), but cuts its client off when it ends', async () => {
    const { c: a, errors } = await client('slow-statement');
    await a.query('BEGIN');
    await a.query("SET LOCAL statement_timeout = '1s'");
    await a.query('CREATE TABLE slow_work (x int)');
    // Runs to its end, statement_timeout or not: PGlite runs on serve's own thread.
    const sleep = HOLD_SECONDS + 1;
    const started = Date.now();
    const slept = await within((sleep + 20) * 1000, 'pg_sleep', a.query(`SELECT pg_sleep(${sleep})`)).then(
      () => 'completed',
      (e: Error) => e.message,
    );
    expect(slept).toBe('completed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(sleep * 1000 - 500);
    // Past DB_SOCKET_HOLD_SECONDS by then: cut off as soon as it ended, not after a further wait.
    const err = await cutOff(errors, 5_000);
    expect(err.message).toMatch(/DB_SOCKET_HOLD_SECONDS/);
    await serverAnswers();
    expect(await exists('slow_work')).toBe(false);
  });

  it('refuses COPY … FROM STDIN however it is written, and serve keeps answering', async () => {
    const { c: a } = await client('copier');
    for (const copy of [
      'COPY stories(url,title) FROM/**/STDIN',
      'copy stories (url, title) from stdin with (format csv)',
      "SELECT 1; COPY stories(url,title) FROM STDIN; INSERT INTO stories (url, title) VALUES ('https://x.test/1', 'x')",
    ]) {
      await expect(within(ANSWER_BOUND_MS, copy, a.query(copy))).rejects.toThrow(/COPY FROM STDIN is not supported/);
    }
    // Through the extended protocol (a named prepared statement), the same.
    await expect(
      within(ANSWER_BOUND_MS, 'prepared COPY', a.query({ name: 'c', text: 'COPY stories (url) FROM STDIN', values: [] })),
    ).rejects.toThrow(/COPY FROM STDIN is not supported/);
    // Inside a transaction, it fails that transaction, as any error would.
    await a.query('BEGIN');
    await expect(within(ANSWER_BOUND_MS, 'COPY in a transaction', a.query('COPY stories (url) FROM STDIN'))).rejects.toThrow(
      /COPY FROM STDIN is not supported/,
    );
    await expect(a.query('SELECT 1')).rejects.toThrow(/current transaction is aborted/);
    await a.query('ROLLBACK');
    expect((await a.query<{ n: number }>("SELECT count(*)::int AS n FROM stories WHERE url = 'https://x.test/1'")).rows[0]!.n).toBe(0);
    await serverAnswers();
  });

  it.skipIf(!existsSync('/usr/bin/psql'))(
    "refuses psql's COPY … FROM STDIN and \\copy … from, keeps \\copy … to, and serve keeps answering",
    async () => {
      const psql = (command: string) =>
        new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
          const child = execFile(
            '/usr/bin/psql',
            ['-h', dir, '-U', 'digest', '-d', 'digest', '-v', 'ON_ERROR_STOP=1', '-c', command],
            { timeout: ANSWER_BOUND_MS, env: { ...process.env, PGCONNECT_TIMEOUT: '10' } },
            (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
          );
          child.stdin?.end('https://x.test/2\tfrom psql\n\\.\n');
        });
      for (const command of ['COPY stories(url,title) FROM/**/STDIN', '\\copy stories(url,title) from stdin']) {
        const result = await psql(command);
        expect(result.code, command).not.toBe(0);
        expect(result.stderr, command).toMatch(/COPY FROM STDIN is not supported/);
        await serverAnswers();
      }
      // COPY … TO STDOUT is a SELECT by another name: it runs.
      const out = await psql("\\copy (SELECT n, 'row ' || n FROM generate_series(1, 3) n) to stdout");
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toBe('1\trow 1\n2\trow 2\n3\trow 3\n');
    },
  );

  it('cuts off a client that sets a timer PGlite cannot run, instead of letting it stop serve', async () => {
    for (const setting of ['idle_in_transaction_session_timeout', 'transaction_timeout']) {
      const { c: a, errors } = await client(`timer-${setting}`);
      await a.query('BEGIN');
      await a.query('CREATE TABLE timed_work (x int)');
      await a.query(`SET ${setting} = '200ms'`).catch(() => undefined);
      const err = await cutOff(errors, 5_000);
      expect(err.message).toContain(`${setting} cannot be used through the digest serve socket`);
      // Long past the timer: serve is still here.
      await new Promise((r) => setTimeout(r, 1_000));
      await serverAnswers();
      expect(await exists('timed_work')).toBe(false);
    }
    // Outside a transaction the session is reset as the client gives it back: the setting is gone at once.
    const { c: b } = await client('timer-idle');
    await b.query("SET idle_session_timeout = '200ms'");
    await new Promise((r) => setTimeout(r, 1_000));
    await serverAnswers();
    expect((await within(ANSWER_BOUND_MS, 'SELECT 1', b.query<{ n: number }>('SELECT 1 AS n'))).rows).toEqual([{ n: 1 }]);
  });

  it("keeps the service's own settings over ones a client stored with ALTER SYSTEM, after a restart", async () => {
    const { c: a } = await client('alterer');
    await a.query("ALTER SYSTEM SET TimeZone = 'Asia/Tokyo'");
    await a.query('ALTER SYSTEM SET default_transaction_read_only = on');
    await a.query("ALTER SYSTEM SET idle_session_timeout = '3s'");
    await a.end();
    expect(await stopChild(serve.child)).toBe(0);
    await start();
    await new Promise((r) => setTimeout(r, 4_000)); // past the stored idle_session_timeout
    await serverAnswers(); // a sign-up writes: not read-only
    const { c: b } = await client('after-restart');
    const seen = await b.query<{ tz: string; ro: string; idle: string }>(
      `SELECT current_setting('TimeZone') AS tz, current_setting('default_transaction_read_only') AS ro,
              current_setting('idle_session_timeout') AS idle`,
    );
    expect(seen.rows[0]).toEqual({ tz: 'UTC', ro: 'off', idle: '0' });
  });
});
