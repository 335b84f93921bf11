import { describe, expect, it } from 'vitest';
import type { EnvSource } from '../../src/config/index.js';
import { signToken, unsubscribe, unsubscribeUrl } from '../../src/subscribers/index.js';
import { useCleanup } from '../helpers/cleanup.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';
import { startTestServer, type TestServer } from '../helpers/http.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const form = (data: Record<string, string | string[]>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(data)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
  return p;
};

describe.each(ENGINES)('sign-up with double opt-in on %s', (engine) => {
  let t: TestDatabase | undefined;
  let server: TestServer | undefined;
  let sink: SmtpSink | undefined;
  const track = useCleanup();

  async function start(env: EnvSource = {}) {
    t = track(await createTestDatabase(engine));
    sink = track(await startSmtpSink());
    const config = testConfig({ PUBLIC_URL: 'http://digest.test', SITE_NAME: 'The Daily', ...env });
    server = track(await startTestServer(t, config, { smtpUrl: sink.url }));
    return { db: t.db, url: server.url, sink, config };
  }
  const subscribe = (url: string, data: Record<string, string | string[]>, headers: Record<string, string> = {}) =>
    fetch(`${url}/subscribe`, { method: 'POST', body: form(data), headers });
  const row = (email: string) => t!.db.selectFrom('subscribers').selectAll().where('email', '=', email).executeTakeFirst();
  const local = (link: string) => link.replace('http://digest.test', server!.url);
  const confirmLinkIn = (text: string) => /http:\/\/digest\.test\/confirm\/[A-Za-z0-9._-]+/.exec(text)?.[0];
  const settle = () => new Promise((r) => setTimeout(r, 400));

  it('takes a reader from the form through the confirmation email and its button to active', async () => {
    const { url, sink } = await start();
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<form method="post" action="/subscribe"');
    expect(html).toContain('Get top stories and blog posts emailed to you each day.');

    const res = await subscribe(url, { email: 'reader@example.com', name: 'Ada', sections: ['stories'] });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Check your inbox');
    expect((await row('reader@example.com'))?.status).toBe('pending');

    const [mail] = await sink.waitFor(1);
    expect(mail!.to).toEqual(['reader@example.com']);
    expect(mail!.parsed.subject).toContain('The Daily');
    const link = confirmLinkIn(mail!.parsed.text ?? '');
    expect(link).toBeDefined();
    expect(mail!.parsed.html).toContain(link!);

    // The scanner's GET: a page with a button, and still pending.
    const get = await fetch(local(link!));
    expect(get.status).toBe(200);
    const getHtml = await get.text();
    expect(getHtml).toMatch(/<form method="post" action="\/confirm\/[^"]+">/);
    expect((await row('reader@example.com'))?.status).toBe('pending');

    // The reader's click.
    const post = await fetch(local(link!), { method: 'POST' });
    expect(post.status).toBe(200);
    expect(await post.text()).toContain('You are subscribed');
    const s = await row('reader@example.com');
    expect(s).toMatchObject({ status: 'active', name: 'Ada', sections: ['stories'] });
    expect(s!.confirmed_at).toBeInstanceOf(Date);
    const events = await t!.db.selectFrom('subscriber_events').select('type').where('subscriber_id', '=', s!.id).orderBy('id').execute();
    expect(events.map((e) => e.type)).toEqual(['subscribed', 'confirmed']);

    // Pressing again is harmless.
    const again = await fetch(local(link!), { method: 'POST' });
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('already confirmed');
  });

  it('accepts JSON {email, name}', async () => {
    const { url, sink } = await start();
    const res = await fetch(`${url}/subscribe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'json@example.com', name: 'Jay' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
    await sink.waitFor(1);
    expect(await row('json@example.com')).toMatchObject({ status: 'pending', name: 'Jay' });
  });

  it('answers the same for a new, pending, active and unsubscribed address', async () => {
    const { url, db } = await start();
    const pending = await db
      .insertInto('subscribers')
      .values({ email: 'pending@example.com', status: 'pending', confirmation_sent_at: new Date() })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.insertInto('subscribers').values({ email: 'active@example.com', status: 'active', confirmed_at: new Date() }).execute();
    const gone = await db
      .insertInto('subscribers')
      .values({ email: 'gone@example.com', status: 'active', confirmed_at: new Date() })
      .returning('id')
      .executeTakeFirstOrThrow();
    await unsubscribe(db, gone.id);
    expect(pending.id).toBeGreaterThan(0);

    const answers = [];
    for (const email of ['new@example.com', 'pending@example.com', 'active@example.com', 'gone@example.com']) {
      const r = await subscribe(url, { email });
      answers.push({ status: r.status, body: await r.text(), type: r.headers.get('content-type') });
      const j = await fetch(`${url}/subscribe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: email.replace('@', '+j@') }),
      });
      answers.push({ status: j.status, body: await j.text(), type: j.headers.get('content-type') });
    }
    const forms = answers.filter((_, i) => i % 2 === 0);
    const jsons = answers.filter((_, i) => i % 2 === 1);
    expect(new Set(forms.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(new Set(jsons.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(forms[0]!.status).toBe(200);
  });

  it('mails a pending address at most once an hour however often it is submitted', async () => {
    const { url, sink } = await start();
    for (let i = 0; i < 4; i++) expect((await subscribe(url, { email: 'bombed@example.com' })).status).toBe(200);
    await sink.waitFor(1);
    await settle();
    expect(sink.messages).toHaveLength(1);
  });

  it('tells an active reader by email (not on the page) that they are already subscribed', async () => {
    const { url, sink, db } = await start();
    await db.insertInto('subscribers').values({ email: 'already@example.com', status: 'active', confirmed_at: new Date() }).execute();
    await subscribe(url, { email: 'already@example.com' });
    const [mail] = await sink.waitFor(1);
    expect(mail!.parsed.text).toContain('already subscribed');
    expect(mail!.parsed.text).toMatch(/http:\/\/digest\.test\/p\//);
    expect(mail!.parsed.text).toMatch(/http:\/\/digest\.test\/u\//);
  });

  it('lets an unsubscribed reader sign up again, which needs a fresh confirmation and retires old links', async () => {
    const { url, sink, db, config } = await start();
    const s = await db
      .insertInto('subscribers')
      .values({ email: 'back@example.com', status: 'active', confirmed_at: new Date() })
      .returningAll()
      .executeTakeFirstOrThrow();
    const oldUnsubscribe = unsubscribeUrl(config, s);
    await unsubscribe(db, s.id);
    await subscribe(url, { email: 'back@example.com' });
    const [mail] = await sink.waitFor(1);
    const after = await row('back@example.com');
    expect(after).toMatchObject({ status: 'pending', token_version: s.token_version + 1 });

    // The old subscription's unsubscribe link is replayed: refused, nothing changes.
    const replay = await fetch(local(oldUnsubscribe), { method: 'POST', body: form({ 'List-Unsubscribe': 'One-Click' }) });
    expect(replay.status).toBe(410);
    expect((await row('back@example.com'))?.status).toBe('pending');

    await fetch(local(confirmLinkIn(mail!.parsed.text ?? '')!), { method: 'POST' });
    expect((await row('back@example.com'))?.status).toBe('active');
  });

  it('does nothing for a filled honeypot but answers as usual', async () => {
    const { url, sink } = await start();
    const normal = await subscribe(url, { email: 'x@example.com' });
    const bot = await subscribe(url, { email: 'bot@example.com', website: 'http://spam.example' });
    expect(bot.status).toBe(200);
    expect(await bot.text()).toBe(await normal.text());
    await sink.waitFor(1);
    await settle();
    expect(await row('bot@example.com')).toBeUndefined();
    expect(sink.messages.map((m) => m.to[0])).toEqual(['x@example.com']);
  });

  it('refuses bad addresses with 400, including ones that would break a header, and normalises IDN domains', async () => {
    const { url } = await start();
    for (const email of [
      '',
      'not-an-address',
      'a@b',
      'x@example.com\r\nBcc: victim@example.com',
      `${'a'.repeat(65)}@example.com`,
      'üser@example.com',
    ]) {
      const r = await subscribe(url, { email });
      expect(r.status, email).toBe(400);
      expect(await r.text()).toContain('role="alert"');
    }
    const j = await fetch(`${url}/subscribe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'nope' }),
    });
    expect(j.status).toBe(400);
    expect(await j.json()).toMatchObject({ error: 'invalid_email' });
    expect((await subscribe(url, { email: 'Reader@BÜCHER.Example' })).status).toBe(200);
    expect(await row('Reader@xn--bcher-kva.example')).toBeDefined();
    expect((await t!.db.selectFrom('subscribers').select('email').execute()).map((r) => r.email)).toEqual(['Reader@xn--bcher-kva.example']);
  });

  it('limits sign-ups per IP with 429 and Retry-After', async () => {
    const { url } = await start({ SIGNUP_LIMIT_PER_IP: '3' });
    for (let i = 0; i < 3; i++) expect((await subscribe(url, { email: `ip${i}@example.com` })).status).toBe(200);
    const limited = await subscribe(url, { email: 'ip4@example.com' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const json = await fetch(`${url}/subscribe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ip5@example.com' }),
    });
    expect(json.status).toBe(429);
    expect(await row('ip4@example.com')).toBeUndefined();
  });

  it('cannot be walked around by a forged X-Forwarded-For (no proxy is trusted by default)', async () => {
    const { url } = await start({ SIGNUP_LIMIT_PER_IP: '3' });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await subscribe(url, { email: `xff${i}@example.com` }, { 'x-forwarded-for': `198.51.100.${i}` })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });

  it('limits per forwarded client address when TRUST_PROXY says the proxy is there', async () => {
    const { url } = await start({ SIGNUP_LIMIT_PER_IP: '2', TRUST_PROXY: '127.0.0.1' });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await subscribe(url, { email: `tp${i}@example.com` }, { 'x-forwarded-for': `198.51.100.${i % 2}` })).status);
    expect(statuses).toEqual([200, 200, 200, 200]);
    expect((await subscribe(url, { email: 'tp9@example.com' }, { 'x-forwarded-for': '198.51.100.0' })).status).toBe(429);
  });

  it('limits requests per address with 429, whoever sends them', async () => {
    const { url } = await start({ SIGNUP_LIMIT_PER_ADDRESS: '2', SIGNUP_LIMIT_PER_IP: '100' });
    expect((await subscribe(url, { email: 'target@example.com' })).status).toBe(200);
    expect((await subscribe(url, { email: 'TARGET@example.com' })).status).toBe(200);
    const limited = await subscribe(url, { email: 'target@EXAMPLE.com' }, { 'x-forwarded-for': '203.0.113.9' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await subscribe(url, { email: 'other@example.com' })).status).toBe(200);
  });

  it('asks the arithmetic question when the challenge is switched on', async () => {
    const { url } = await start({ SIGNUP_CHALLENGE: 'arithmetic' });
    const html = await (await fetch(`${url}/`)).text();
    const m = /(\d) \+ (\d) =/.exec(html);
    expect(m).not.toBeNull();
    const token = /name="challenge_token" value="([^"]+)"/.exec(html)![1]!;
    expect((await subscribe(url, { email: 'c@example.com', challenge_token: token, challenge: '99' })).status).toBe(400);
    expect((await subscribe(url, { email: 'c@example.com' })).status).toBe(400);
    expect(await row('c@example.com')).toBeUndefined();
    const ok = await subscribe(url, { email: 'c@example.com', challenge_token: token, challenge: String(Number(m![1]) + Number(m![2])) });
    expect(ok.status).toBe(200);
    expect(await row('c@example.com')).toBeDefined();
  });

  it('lets a pending sign-up expire: its link stops working and nothing changes', async () => {
    const { url, db, config } = await start({ PENDING_EXPIRY_DAYS: '2' });
    const old = new Date(Date.now() - 3 * 86_400_000);
    const s = await db
      .insertInto('subscribers')
      .values({ email: 'late@example.com', status: 'pending', confirmation_sent_at: old, created_at: old })
      .returningAll()
      .executeTakeFirstOrThrow();
    const link = `${url}/confirm/${signToken(config.keys, 'confirm', { subscriberId: s.id, version: s.token_version })}`;
    expect((await fetch(link)).status).toBe(410);
    expect((await fetch(link, { method: 'POST' })).status).toBe(410);
    expect((await row('late@example.com'))?.status).toBe('pending');
  });

  it('refuses forged, truncated and wrong-purpose confirmation links with 400', async () => {
    const { url, db, config } = await start();
    const s = await db
      .insertInto('subscribers')
      .values({ email: 'p@example.com', status: 'pending', confirmation_sent_at: new Date() })
      .returningAll()
      .executeTakeFirstOrThrow();
    const good = signToken(config.keys, 'confirm', { subscriberId: s.id, version: s.token_version });
    const wrongPurpose = signToken(config.keys, 'unsubscribe', { subscriberId: s.id, version: s.token_version });
    const forged = signToken({ current: { id: config.keys.current.id, key: Buffer.from('not-the-secret-at-all') } }, 'confirm', {
      subscriberId: s.id,
      version: s.token_version,
    });
    for (const token of [
      good.slice(0, -3),
      good.slice(0, -1) + (good.endsWith('A') ? 'B' : 'A'),
      wrongPurpose,
      forged,
      'confirm.x.1-0.AAAA',
    ]) {
      expect((await fetch(`${url}/confirm/${token}`, { method: 'POST' })).status, token).toBe(400);
    }
    expect((await row('p@example.com'))?.status).toBe('pending');
  });

  it('mails a fresh manage link to a subscriber who asks, and says the same to anyone else', async () => {
    const { url, sink, db } = await start();
    await db.insertInto('subscribers').values({ email: 'm@example.com', status: 'active', confirmed_at: new Date() }).execute();
    const a = await fetch(`${url}/manage`, { method: 'POST', body: form({ email: 'm@example.com' }) });
    const b = await fetch(`${url}/manage`, { method: 'POST', body: form({ email: 'nobody@example.com' }) });
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(await a.text()).toBe(await b.text());
    const [mail] = await sink.waitFor(1);
    expect(mail!.to).toEqual(['m@example.com']);
    const prefs = /http:\/\/digest\.test\/p\/[A-Za-z0-9._-]+/.exec(mail!.parsed.text ?? '')![0];
    const page = await fetch(local(prefs));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Your preferences');
    await settle();
    expect(sink.messages).toHaveLength(1);
  });
});
