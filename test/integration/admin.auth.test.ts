import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, testConfig } from '../helpers/config.js';
import { createTestDatabase, SERVICE_ENGINE, type TestDatabase } from '../helpers/database.js';
import { startTestServer, type TestServer } from '../helpers/http.js';

const form = (data: Record<string, string>) => new URLSearchParams(data).toString();
const FORM = 'application/x-www-form-urlencoded';

describe('the admin requires the token', () => {
  let t: TestDatabase;
  let server: TestServer;
  beforeAll(async () => {
    t = await createTestDatabase(SERVICE_ENGINE);
    server = await startTestServer(t, testConfig());
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
  });

  async function login(): Promise<{ cookie: string; csrf: string }> {
    const res = await fetch(`${server.url}/admin/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': FORM }, body: form({ token: ADMIN_TOKEN }) });
    expect(res.status).toBe(303);
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    const cookie = setCookie.split(';')[0]!;
    const page = await (await fetch(`${server.url}/admin`, { headers: { cookie, accept: 'text/html' } })).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
    expect(csrf).toBeTruthy();
    return { cookie, csrf: csrf! };
  }

  it('sends a browser without a session to the login page, and a script to 401', async () => {
    const browser = await fetch(`${server.url}/admin`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(browser.status).toBe(303);
    expect(browser.headers.get('location')).toBe('/admin/login?next=%2Fadmin');
    expect((await fetch(`${server.url}/admin`, { headers: { accept: 'application/json' } })).status).toBe(401);
  });

  it('rejects a wrong token, and a wrong Bearer', async () => {
    const res = await fetch(`${server.url}/admin/login`, { method: 'POST', headers: { 'content-type': FORM }, body: form({ token: 'not-the-token-at-all' }) });
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect((await fetch(`${server.url}/admin`, { headers: { authorization: 'Bearer not-the-token-at-all' } })).status).toBe(401);
    expect((await fetch(`${server.url}/admin`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);
  });

  it('logs in with the token and shows the dashboard with its charts', async () => {
    const { cookie } = await login();
    const res = await fetch(`${server.url}/admin`, { headers: { cookie } });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('active readers');
    expect(page).toMatch(/<svg[^>]+role="img"/);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('refuses a POST from another site and a POST without the CSRF token, and accepts its own form', async () => {
    const { cookie, csrf } = await login();
    const crossSite = await fetch(`${server.url}/admin/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': FORM, origin: 'https://evil.example' },
      body: form({ _csrf: csrf }),
    });
    expect(crossSite.status).toBe(403);
    const noToken = await fetch(`${server.url}/admin/logout`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': FORM }, body: form({}) });
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
    const res = await fetch(`${server.url}/admin/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': FORM }, body: form({ token: ADMIN_TOKEN, next: 'https://evil.example/' }) });
    expect(res.headers.get('location')).toBe('/admin');
  });

  it('rate-limits login attempts', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${server.url}/admin/login`, { method: 'POST', headers: { 'content-type': FORM }, body: form({ token: `guess-${i}-xxxxxxxx` }) });
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
      expect((await fetch(`${server.url}/admin/login`, { method: 'POST', headers: { 'content-type': FORM }, body: form({ token: '' }) })).status).toBe(401);
    } finally {
      await server.close();
      await t.close();
    }
  });
});
