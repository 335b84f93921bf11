import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, testConfig } from '../helpers/config.js';
import { ADMIN_URL, createTestDatabase } from '../helpers/database.js';
import { startTestServer } from '../helpers/http.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';

// The details (errors) are the admin's; anyone else sees only ok flags (auth.guessing.test.ts).
const AUTH = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };

type Health = { status: string; checks: Record<string, { ok: boolean; error?: string }> };

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
