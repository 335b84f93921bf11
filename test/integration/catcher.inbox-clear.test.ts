import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMailCatcher, type MailCatcher } from '../../src/catcher/index.js';
import { silentLogger } from '../../src/config/index.js';
import { createMailer } from '../../src/delivery/index.js';
import { adminLogin, FORM } from '../helpers/admin.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, SERVICE_ENGINE, type TestDatabase } from '../helpers/database.js';
import { startTestServer, type TestServer } from '../helpers/http.js';

/** The inbox's "Empty the inbox" form, used as a browser would: logged in, with the page's own CSRF field. */
describe('emptying the catcher inbox', () => {
  let t: TestDatabase;
  let catcher: MailCatcher;
  let server: TestServer;
  beforeAll(async () => {
    t = await createTestDatabase(SERVICE_ENGINE);
    catcher = await startMailCatcher({ log: silentLogger });
    server = await startTestServer(t, testConfig(), { catcher });
  });
  afterAll(async () => {
    await server?.close();
    await catcher?.close();
    await t?.close();
  });

  async function catchOne(subject: string) {
    const mailer = createMailer({ url: catcher.url, from: 'Digest <digest@localhost>' });
    await mailer.send({ to: 'reader@example.com', subject, text: 'hello', html: '<p>hello</p>' });
    mailer.close();
  }

  it('empties the inbox from its own form, and refuses the same POST without the form’s CSRF field', async () => {
    await catchOne('First');
    await catchOne('Second');
    expect(catcher.store.count).toBe(2);
    const session = await adminLogin(server.url);

    const inbox = await (await fetch(`${server.url}/inbox`, { headers: { cookie: session.cookie } })).text();
    const form = /<form method="post" action="\/inbox\/clear"[^>]*>(.*?)<\/form>/s.exec(inbox)?.[1];
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form ?? '')?.[1];
    expect(csrf).toBeTruthy();

    const post = (fields: Record<string, string>) =>
      fetch(`${server.url}/inbox/clear`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: session.cookie, 'content-type': FORM, origin: server.url },
        body: new URLSearchParams(fields).toString(),
      });
    expect((await post({})).status).toBe(403);
    expect(catcher.store.count).toBe(2);

    const res = await post({ _csrf: csrf! });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/inbox');
    expect(catcher.store.count).toBe(0);
  });

  it('counts the mail in words, and offers Empty the inbox (a secondary button) only when there is mail to empty', async () => {
    catcher.store.clear();
    const session = await adminLogin(server.url);
    const inbox = async () => (await fetch(`${server.url}/inbox`, { headers: { cookie: session.cookie } })).text();
    const clearForm = (html: string) => /<form method="post" action="\/inbox\/clear"([^>]*)>.*?<\/form>/s.exec(html);

    const empty = await inbox();
    expect(empty).toMatch(/>No messages(<\/span>)? caught on /);
    expect(clearForm(empty)?.[1]).toContain(' hidden');

    await catchOne('First');
    const one = await inbox();
    expect(one).toMatch(/>1 message(<\/span>)? caught on /);
    const form = clearForm(one);
    expect(form?.[1]).not.toContain('hidden');
    expect(form?.[0]).toContain('<button type="submit" class="secondary">Empty the inbox</button>');

    await catchOne('Second');
    expect(await inbox()).toMatch(/>2 messages(<\/span>)? caught on /);
  });
});
