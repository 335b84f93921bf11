import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/config/index.js';
import { createMailer } from '../../src/delivery/index.js';
import { startService, type RunningService } from '../../src/main.js';
import { ADMIN_TOKEN, testConfig } from '../helpers/config.js';

const AUTH = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
import { createTestDatabase, SERVICE_ENGINE, type TestDatabase } from '../helpers/database.js';

describe('the built-in mail catcher (no SMTP_URL)', () => {
  let t: TestDatabase;
  let service: RunningService;
  beforeAll(async () => {
    t = await createTestDatabase(SERVICE_ENGINE);
    service = await startService(testConfig({ HOST: '127.0.0.1' }), silentLogger, { database: t });
  });
  afterAll(async () => {
    await service?.close();
    await t?.close();
  });

  it('catches what the service sends and shows it in the inbox: HTML sandboxed, text, headers', async () => {
    expect(service.catcher).toBeDefined();
    expect(service.smtpUrl).toMatch(/^smtp:\/\/127\.0\.0\.1:\d+$/);
    const mailer = createMailer({ url: service.smtpUrl, from: 'Digest <digest@localhost>' });
    await mailer.send({
      to: 'reader@example.com',
      subject: 'Your digest — “Idlib”',
      html: '<html><head></head><body><p>Hello <b>reader</b></p><a href="http://localhost/u/abc">Unsubscribe</a><script>alert(1)</script></body></html>',
      text: 'Hello reader\nUnsubscribe: http://localhost/u/abc',
      headers: { 'List-Unsubscribe': '<http://localhost/u/abc>' },
    });
    mailer.close();

    const list = (await (await fetch(`${service.url}/inbox/messages.json`, AUTH)).json()) as {
      id: string;
      subject: string;
      to: string[];
    }[];
    expect(list).toHaveLength(1);
    expect(list[0]!.to).toEqual(['reader@example.com']);

    const inbox = await (await fetch(`${service.url}/inbox`, AUTH)).text();
    expect(inbox).toContain(`/inbox/${list[0]!.id}`);

    const page = await (await fetch(`${service.url}/inbox/${list[0]!.id}`, AUTH)).text();
    expect(page).toContain('Your digest — “Idlib”');
    expect(page).toContain('Hello reader\nUnsubscribe: http://localhost/u/abc');
    expect(page).toContain('List-Unsubscribe: &lt;http://localhost/u/abc&gt;');
    expect(page).toMatch(/<iframe[^>]+sandbox="allow-popups[^"]*"/);

    const html = await fetch(`${service.url}/inbox/${list[0]!.id}/html`, AUTH);
    expect(html.headers.get('content-security-policy')).toMatch(/^sandbox .*script-src 'none'/);
    expect(await html.text()).toContain('<head><base target="_top">');
  });

  it('reports the database, the catcher and the scheduler healthy', async () => {
    const res = await fetch(`${service.url}/healthz`, AUTH);
    const body = (await res.json()) as { checks: Record<string, { ok: boolean; leader?: boolean }> };
    expect(res.status).toBe(200);
    expect(Object.keys(body.checks).sort()).toEqual(['database', 'scheduler', 'smtp']);
    expect(body.checks.scheduler).toMatchObject({ ok: true, leader: true });
  });

  it('answers 404 for a message it does not hold', async () => {
    expect((await fetch(`${service.url}/inbox/nope`, AUTH)).status).toBe(404);
  });

  it("is the operator's: without the admin token or session it shows nothing (readers' links are in there)", async () => {
    expect((await fetch(`${service.url}/inbox/messages.json`)).status).toBe(401);
    const browser = await fetch(`${service.url}/inbox`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(browser.status).toBe(303);
    expect(browser.headers.get('location')).toMatch(/^\/admin\/login/);
  });
});
