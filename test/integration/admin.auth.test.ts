import { readdirSync, readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../src/db/index.js';
import { adminLogin, form, FORM } from '../helpers/admin.js';
import { ADMIN_TOKEN, testConfig } from '../helpers/config.js';
import { createTestDatabase, SERVICE_ENGINE } from '../helpers/database.js';
import { startTestServer, useTestServer } from '../helpers/http.js';

const PACKAGE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
/** The newest migration: the level a freshly migrated test database is at. */
const NEWEST_MIGRATION = readdirSync(MIGRATIONS_DIR)
  .filter((f) => f.endsWith('.sql'))
  .sort()
  .at(-1)!
  .replace(/\.sql$/, '');

describe('the admin requires the token', () => {
  const ctx = useTestServer(SERVICE_ENGINE, testConfig());
  const server = {
    get url() {
      return ctx.url;
    },
  };

  it('sends a browser without a session to the login page, and a script to 401', async () => {
    const browser = await fetch(`${server.url}/admin`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(browser.status).toBe(303);
    expect(browser.headers.get('location')).toBe('/admin/login?next=%2Fadmin');
    expect((await fetch(`${server.url}/admin`, { headers: { accept: 'application/json' } })).status).toBe(401);
  });

  it('rejects a wrong token, and a wrong Bearer', async () => {
    const res = await fetch(`${server.url}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': FORM },
      body: form({ token: 'not-the-token-at-all' }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect((await fetch(`${server.url}/admin`, { headers: { authorization: 'Bearer not-the-token-at-all' } })).status).toBe(401);
    expect((await fetch(`${server.url}/admin`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);
  });

  it('logs in with the token into an HttpOnly, SameSite=Strict session and shows the dashboard with its charts', async () => {
    const res0 = await fetch(`${server.url}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': FORM },
      body: form({ token: ADMIN_TOKEN }),
    });
    expect(res0.headers.get('set-cookie')).toMatch(/HttpOnly/i);
    expect(res0.headers.get('set-cookie')).toMatch(/SameSite=Strict/i);
    const { cookie } = await adminLogin(server.url);
    const res = await fetch(`${server.url}/admin`, { headers: { cookie } });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('active readers');
    expect(page).toMatch(/<svg[^>]+role="img"/);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it("shows the release and the schema's level in the footer to the admin only, not on the public login page", async () => {
    const footer = `${PACKAGE.name} ${PACKAGE.version} · schema ${NEWEST_MIGRATION}`;
    const { cookie } = await adminLogin(server.url);
    for (const path of ['/admin', '/admin/subscribers', '/admin/login']) {
      const page = await (await fetch(`${server.url}${path}`, { headers: { cookie } })).text();
      expect(page, path).toContain(`<footer class="release muted">${footer}</footer>`);
    }
    const bearer = await (await fetch(`${server.url}/admin/editions`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    expect(bearer).toContain(footer);
    const stranger = await (await fetch(`${server.url}/admin/login`)).text();
    expect(stranger).toContain('Admin token');
    expect(stranger).not.toContain('<footer');
    expect(stranger).not.toContain(PACKAGE.version);

    // A newer release migrated the database under this one: the footer names it, as the CLI refuses it.
    await sql`INSERT INTO kysely_migration (name, timestamp) VALUES ('999_from_a_newer_release', now()::text)`.execute(ctx.t.db);
    try {
      const ahead = await (await fetch(`${server.url}/admin`, { headers: { cookie } })).text();
      expect(ahead).toContain('migrated by a newer release (999_from_a_newer_release): run that release, or restore the backup');
    } finally {
      await sql`DELETE FROM kysely_migration WHERE name = '999_from_a_newer_release'`.execute(ctx.t.db);
    }
  });

  it('refuses a POST from another site and a POST without the CSRF token, and accepts its own form', async () => {
    const { cookie, csrf } = await adminLogin(server.url);
    const crossSite = await fetch(`${server.url}/admin/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': FORM, origin: 'https://evil.example' },
      body: form({ _csrf: csrf }),
    });
    expect(crossSite.status).toBe(403);
    const noToken = await fetch(`${server.url}/admin/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': FORM },
      body: form({}),
    });
    expect(noToken.status).toBe(403);
    const own = await fetch(`${server.url}/admin/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': FORM, origin: server.url },
      body: form({ _csrf: csrf }),
    });
    expect(own.status).toBe(303);
  });

  it('never redirects after login to another site', async () => {
    const res = await fetch(`${server.url}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': FORM },
      body: form({ token: ADMIN_TOKEN, next: 'https://evil.example/' }),
    });
    expect(res.headers.get('location')).toBe('/admin');
    for (const next of ['//evil.example/inbox', '/\\evil.example', 'javascript:alert(1)', '/admin/login']) {
      const r = await fetch(`${server.url}/admin/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': FORM },
        body: form({ token: ADMIN_TOKEN, next }),
      });
      expect(r.headers.get('location'), next).toBe('/admin');
    }
  });

  it('returns to the page that was asked for: the inbox, an edition', async () => {
    for (const path of ['/inbox', '/admin/editions?date=2026-11-27', '/editions/2026-11-27']) {
      const login = await fetch(`${server.url}/admin/login?next=${encodeURIComponent(path)}`);
      expect(await login.text()).toContain(`name="next" value="${path.replace('&', '&amp;')}"`);
      const res = await fetch(`${server.url}/admin/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': FORM },
        body: form({ token: ADMIN_TOKEN, next: path }),
      });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(path);
    }
    const asked = await fetch(`${server.url}/admin/editions?date=2026-11-27`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(asked.headers.get('location')).toBe(`/admin/login?next=${encodeURIComponent('/admin/editions?date=2026-11-27')}`);
  });

  it('rate-limits login attempts', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${server.url}/admin/login`, {
        method: 'POST',
        headers: { 'content-type': FORM },
        body: form({ token: `guess-${i}-xxxxxxxx` }),
      });
      statuses.push(res.status);
    }
    expect(statuses).toContain(429);
  });
});

describe('the admin with no ADMIN_TOKEN', () => {
  it('is closed', async () => {
    const t = await createTestDatabase(SERVICE_ENGINE);
    const server = await startTestServer(t, testConfig({ ADMIN_TOKEN: '' }));
    try {
      expect((await fetch(`${server.url}/admin`)).status).toBe(403);
      expect(await (await fetch(`${server.url}/admin/login`)).text()).not.toContain('<footer');
      expect(
        (await fetch(`${server.url}/admin/login`, { method: 'POST', headers: { 'content-type': FORM }, body: form({ token: '' }) })).status,
      ).toBe(401);
    } finally {
      await server.close();
      await t.close();
    }
  });
});
