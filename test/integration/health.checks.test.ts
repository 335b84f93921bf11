import { readdirSync, readFileSync } from 'node:fs';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../src/db/index.js';
import { ADMIN_TOKEN, testConfig } from '../helpers/config.js';
import { ADMIN_URL, createTestDatabase } from '../helpers/database.js';
import { startTestServer } from '../helpers/http.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';

// The details (errors) are the admin's; anyone else sees only ok flags (auth.guessing.test.ts).
const AUTH = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };

type Health = {
  status: string;
  version?: string;
  schema?: { applied: string | null; pending: string[] };
  checks: Record<string, { ok: boolean; error?: string }>;
};

/** What the admin's /healthz should name: package.json's version and the newest file in migrations/. */
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const MIGRATIONS = readdirSync(MIGRATIONS_DIR)
  .filter((f) => f.endsWith('.sql'))
  .sort()
  .map((f) => f.replace(/\.sql$/, ''));

describe('GET /healthz', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  it('is healthy when the database and the relay answer, and says which failed when one does not', async () => {
    const sink = await startSmtpSink();
    cleanups.push(() => sink.close());
    const t = await createTestDatabase('postgres', { poolSize: 2 });
    cleanups.push(() => t.close());
    const server = await startTestServer(t, testConfig(), { smtpUrl: sink.url });
    cleanups.push(() => server.close());

    const healthy = await fetch(`${server.url}/healthz`, AUTH);
    expect(healthy.status).toBe(200);
    const body = (await healthy.json()) as Health;
    expect(body.checks.database!.ok).toBe(true);
    expect(body.checks.smtp!.ok).toBe(true);
    // The admin sees the release and the schema's level; a stranger sees neither (no version to match advisories against).
    expect(body.version).toBe(VERSION);
    expect(body.schema).toEqual({ applied: MIGRATIONS.at(-1), pending: [], newer: [] });
    const anonymous = (await (await fetch(`${server.url}/healthz`)).json()) as Health;
    expect(anonymous.status).toBe('ok');
    expect(Object.keys(anonymous).sort()).toEqual(['checks', 'status']);
    expect(JSON.stringify(anonymous)).not.toContain(VERSION);

    // Pending migrations are read at each request, not at start-up: as after `digest migrate` ran
    // elsewhere, or its record was lost, the running server shows the change at once.
    await sql`DELETE FROM kysely_migration WHERE name = ${MIGRATIONS.at(-1)!}`.execute(t.db);
    const behind = (await (await fetch(`${server.url}/healthz`, AUTH)).json()) as Health;
    expect(behind.schema).toEqual({ applied: MIGRATIONS.at(-2), pending: [MIGRATIONS.at(-1)], newer: [] });
    // A newer release migrated it under this one (a rollback of the code alone): named, as the CLI names it.
    await sql`INSERT INTO kysely_migration (name, timestamp) VALUES ('999_from_a_newer_release', now()::text)`.execute(t.db);
    const ahead = (await (await fetch(`${server.url}/healthz`, AUTH)).json()) as Health;
    expect(ahead.schema).toEqual({ applied: MIGRATIONS.at(-2), pending: [MIGRATIONS.at(-1)], newer: ['999_from_a_newer_release'] });

    // The database goes away under the running server (as when PostgreSQL is stopped).
    const name = new URL(t.url!).pathname.slice(1);
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.end();

    const sick = await fetch(`${server.url}/healthz`, AUTH);
    expect(sick.status).toBe(503);
    const sickBody = (await sick.json()) as Health;
    expect(sickBody.status).toBe('unhealthy');
    expect(sickBody.checks.database!.ok).toBe(false);
    expect(sickBody.checks.database!.error).toBeTruthy();
    expect(sickBody.version).toBe(VERSION);
    expect(sickBody.schema).toEqual({ error: 'the database did not answer' });
  });

  it('is unhealthy when the relay cannot be reached', async () => {
    const t = await createTestDatabase('pglite');
    cleanups.push(() => t.close());
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    const server = await startTestServer(t, testConfig(), { smtpUrl: 'smtp://127.0.0.1:9' });
    cleanups.push(() => server.close());
    const res = await fetch(`${server.url}/healthz`, AUTH);
    expect(res.status).toBe(503);
    const body = (await res.json()) as Health;
    expect(body.checks.database!.ok).toBe(true);
    expect(body.checks.smtp).toMatchObject({ ok: false });
    expect(body.checks.smtp!.error).toMatch(/ECONNREFUSED|connect/i);
  });
});
