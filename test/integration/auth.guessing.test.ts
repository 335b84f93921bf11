import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMailCatcher, type MailCatcher } from '../../src/catcher/index.js';
import { silentLogger } from '../../src/config/index.js';
import { AUTH_FAILURE_LIMIT } from '../../src/web/admin/auth-failures.js';
import { adminLogin, form, FORM } from '../helpers/admin.js';
import { ADMIN_TOKEN, testConfig } from '../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { startTestServer, type TestServer } from '../helpers/http.js';
import { capturingLogger } from '../helpers/log.js';

/**
 * Guessing the admin token is slow and loud: wrong tokens are counted per client (X-Forwarded-For
 * here, since TRUST_PROXY=true names the client by it) in PostgreSQL, answered 429 after the limit,
 * and logged without the token.
 */
const WRONG = 'wrong-token-guess-0123456789';
const bearer = (token: string, ip: string) => ({ authorization: `Bearer ${token}`, 'x-forwarded-for': ip });

type Line = { event?: string; client?: string; via?: string; route?: string; failures?: number; retryAfterSeconds?: number };

describe('wrong admin tokens, per client, shared by every instance', () => {
  let t: TestDatabase;
  let catcher: MailCatcher;
  let one: TestServer;
  let two: TestServer;
  const captured = capturingLogger();
  const lines = captured.lines as Line[];

  beforeAll(async () => {
    t = await createTestDatabase('postgres', { poolSize: 4 });
    catcher = await startMailCatcher({ log: silentLogger });
    const config = testConfig({ TRUST_PROXY: 'true' });
    // Two instances on one PostgreSQL, as behind a load balancer.
    one = await startTestServer(t, config, { log: captured.log, catcher });
    two = await startTestServer(t, config, { log: captured.log, catcher });
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await catcher?.close();
    await t?.close();
  });

  const routes: { name: string; path: string; ip: string; send: (url: string, headers: Record<string, string>) => Promise<Response> }[] = [
    { name: 'GET /metrics', path: '/metrics', ip: '203.0.113.1', send: (url, headers) => fetch(`${url}/metrics`, { headers }) },
    {
      name: 'POST /api/stories',
      path: '/api/stories',
      ip: '203.0.113.2',
      send: (url, headers) =>
        fetch(`${url}/api/stories`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ url: 'https://news.example/a', title: 'A' }),
        }),
    },
    { name: 'GET /admin (Bearer)', path: '/admin', ip: '203.0.113.3', send: (url, headers) => fetch(`${url}/admin`, { headers }) },
    {
      name: 'GET /inbox/messages.json',
      path: '/inbox/messages.json',
      ip: '203.0.113.4',
      send: (url, headers) => fetch(`${url}/inbox/messages.json`, { headers }),
    },
  ];

  for (const route of routes) {
    it(`${route.name}: 401 for ${AUTH_FAILURE_LIMIT.max} wrong tokens across both instances, then 429, logged without the token`, async () => {
      const statuses: number[] = [];
      for (let i = 0; i < AUTH_FAILURE_LIMIT.max + 3; i++) {
        const res = await route.send(i % 2 === 0 ? one.url : two.url, bearer(`${WRONG}-${i}`, route.ip));
        statuses.push(res.status);
        if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(60);
      }
      expect(statuses).toEqual([...Array(AUTH_FAILURE_LIMIT.max).fill(401), 429, 429, 429]);

      // Limited, the client is refused even with the right token: a guess that happened to be right
      // would otherwise stand out from the wrong ones.
      expect((await route.send(one.url, bearer(ADMIN_TOKEN, route.ip))).status).toBe(429);
      // Another client, after all those failures, is let in.
      expect((await route.send(two.url, bearer(ADMIN_TOKEN, `${route.ip}9`))).status).toBe(200);

      const failed = lines.filter((l) => l.event === 'auth.failed' && l.route === route.path);
      expect(failed).toHaveLength(AUTH_FAILURE_LIMIT.max);
      expect(failed.map((l) => l.failures)).toEqual(Array.from({ length: AUTH_FAILURE_LIMIT.max }, (_, i) => i + 1));
      const client = failed[0]!.client!;
      expect(client).toMatch(/^[\w-]{12}$/);
      expect(failed.every((l) => l.client === client && l.via === 'bearer')).toBe(true);
      const limited = lines.filter((l) => l.event === 'auth.limited' && l.client === client);
      expect(limited).toHaveLength(1);
      expect(limited[0]!.retryAfterSeconds).toBeGreaterThan(60);
      const text = JSON.stringify(lines);
      expect(text).not.toContain(WRONG);
      expect(text).not.toContain(ADMIN_TOKEN);
      expect(text).not.toContain(route.ip);
    });
  }

  it('counts wrong login-form tokens with wrong Bearer tokens: one limit per client', async () => {
    const ip = '198.51.100.7';
    for (let i = 0; i < AUTH_FAILURE_LIMIT.max - 1; i++)
      expect((await fetch(`${one.url}/metrics`, { headers: bearer(`${WRONG}-${i}`, ip) })).status).toBe(401);
    const login = (token: string) =>
      fetch(`${two.url}/admin/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': FORM, 'x-forwarded-for': ip },
        body: form({ token }),
      });
    expect((await login('not-the-admin-token')).status).toBe(401);
    const refused = await login(ADMIN_TOKEN);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('set-cookie')).toBeNull();
    expect(await refused.text()).toContain('Too many wrong tokens');
    expect(lines.some((l) => l.event === 'auth.failed' && l.via === 'login')).toBe(true);
  });

  it('does not count right tokens: an operator using the API all day is never limited', async () => {
    const ip = '198.51.100.8';
    for (let i = 0; i < AUTH_FAILURE_LIMIT.max * 2; i++)
      expect((await fetch(`${one.url}/metrics`, { headers: bearer(ADMIN_TOKEN, ip) })).status).toBe(200);
    expect((await fetch(`${one.url}/metrics`, { headers: bearer(WRONG, ip) })).status).toBe(401);
  });

  /** Sends a request's headers and only the first part of its body; resolves with the answer's head. */
  function answerBeforeBody(path: string, contentType: string, size: number, start: string): Promise<string> {
    const { port } = new URL(one.url);
    return new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let data = '';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no answer before the body was complete; got: ${data}`));
      }, 5000);
      socket.on('data', (d) => {
        data += d.toString();
        if (data.includes('\r\n\r\n')) {
          clearTimeout(timer);
          socket.destroy();
          resolve(data);
        }
      });
      socket.on('error', reject);
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: ${contentType}\r\nContent-Length: ${size}\r\nAuthorization: Bearer ${WRONG}\r\n\r\n`,
      );
      socket.write(start);
    });
  }

  it('refuses an unauthenticated 5 MB POST /api/stories with 401 before reading its body', async () => {
    const before = lines.length;
    // Headers and the first 64 KB only: a server that read the body first would wait for the rest.
    const answer = await answerBeforeBody(
      '/api/stories',
      'application/json',
      5 * 1024 * 1024,
      '[' + '{"url":"https://news.example/x","title":"x"},'.repeat(1400),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(lines.slice(before).some((l) => l.event === 'stories.upserted')).toBe(false);
  });

  it('refuses a wrong Bearer on an admin form route before reading its body', async () => {
    const before = lines.length;
    const answer = await answerBeforeBody(
      '/admin/editions/send-now',
      FORM,
      900 * 1024,
      `date=2026-11-30&slot=06%3A00&pad=${'x'.repeat(60_000)}`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(lines.slice(before).some((l) => l.event === 'admin.send_now')).toBe(false);
    expect(lines.slice(before).some((l) => l.event === 'auth.failed')).toBe(true);
  });

  it('shows /healthz details only to the admin (Bearer or session); a wrong Bearer there is refused and counted', async () => {
    const anonymous = (await (await fetch(`${one.url}/healthz`)).json()) as Record<string, unknown> & {
      checks: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(anonymous).sort()).toEqual(['checks', 'status']);
    for (const check of Object.values(anonymous.checks)) expect(Object.keys(check)).toEqual(['ok']);
    // The relay on port 9 refuses: the admin sees why, the stranger only that it is not ok.
    expect(anonymous.checks.smtp).toEqual({ ok: false });

    const admin = (await (await fetch(`${one.url}/healthz`, { headers: bearer(ADMIN_TOKEN, '198.51.100.20') })).json()) as {
      engine: string;
      checks: Record<string, { ok: boolean; error?: string }>;
    };
    expect(admin.engine).toBe('postgres');
    expect(admin.checks.smtp!.error).toMatch(/ECONNREFUSED|connect/i);

    const { cookie } = await adminLogin(two.url);
    const session = (await (await fetch(`${two.url}/healthz`, { headers: { cookie } })).json()) as { engine?: string };
    expect(session.engine).toBe('postgres');

    expect((await fetch(`${one.url}/healthz`, { headers: bearer(WRONG, '198.51.100.21') })).status).toBe(401);
  });

  it('sends nosniff on every answer and a CSP on every HTML page, the inbox included', async () => {
    const inbox = await fetch(`${one.url}/inbox`, { headers: bearer(ADMIN_TOKEN, '198.51.100.30') });
    expect(inbox.status).toBe(200);
    expect(inbox.headers.get('x-content-type-options')).toBe('nosniff');
    expect(inbox.headers.get('content-security-policy')).toMatch(/default-src 'none'.*frame-ancestors 'none'/);
    for (const path of ['/', '/u/not-a-token', '/no-such-page', '/healthz']) {
      const res = await fetch(`${one.url}${path}`);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      if ((res.headers.get('content-type') ?? '').startsWith('text/html'))
        expect(res.headers.get('content-security-policy'), path).toMatch(/default-src 'none'/);
    }
  });
});
