import { afterEach, describe, expect, it } from 'vitest';
import { preferencesUrl, signToken, unsubscribeUrl } from '../../src/subscribers/index.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';
import { startTestServer, type TestServer } from '../helpers/http.js';

describe.each(ENGINES)('unsubscribe and preferences links on %s', (engine) => {
  let t: TestDatabase | undefined;
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    await t?.close();
    server = t = undefined;
  });

  const config = testConfig({ PUBLIC_URL: 'http://digest.test' });
  async function start() {
    t = await createTestDatabase(engine);
    server = await startTestServer(t, config);
    const reader = await t.db
      .insertInto('subscribers')
      .values({ email: 'reader@example.com', name: 'Ada', status: 'active', confirmed_at: new Date() })
      .returningAll()
      .executeTakeFirstOrThrow();
    const edition = await t.db
      .insertInto('editions')
      .values({
        date: '2026-11-26',
        slot: '06:00',
        status: 'sending',
        send_at: new Date(),
        cutoff_at: new Date(Date.now() + 6 * 3_600_000),
        window_start: new Date(),
        window_end: new Date(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { db: t.db, reader, editionId: edition.id };
  }
  const local = (link: string) => link.replace('http://digest.test', server!.url);
  const status = async () =>
    (await t!.db.selectFrom('subscribers').select('status').where('email', '=', 'reader@example.com').executeTakeFirstOrThrow()).status;
  const events = () => t!.db.selectFrom('subscriber_events').selectAll().orderBy('id').execute();

  it('shows a page with one button on GET and changes nothing, however often it is fetched', async () => {
    const { reader, editionId } = await start();
    const link = local(unsubscribeUrl(config, reader, editionId));
    for (let i = 0; i < 3; i++) {
      const res = await fetch(link);
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain('reader@example.com');
      expect(html.match(/<form method="post"/g)).toHaveLength(1);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
    expect(await status()).toBe('active');
    expect(await events()).toEqual([]);
  });

  it('asks a weekly reader about the weekly digest, and a daily one about the daily digest', async () => {
    const { db, reader, editionId } = await start();
    const question = async () =>
      /Stop sending the (\w+) digest/.exec(await (await fetch(local(unsubscribeUrl(config, reader, editionId)))).text())?.[1];
    expect(await question()).toBe('daily');
    await db.updateTable('subscribers').set({ frequency: 'weekly', weekday: 5 }).where('id', '=', reader.id).execute();
    expect(await question()).toBe('weekly');
  });

  it('unsubscribes at once on the button POST, records the edition, and offers resubscribe and fewer emails', async () => {
    const { reader, editionId } = await start();
    const link = local(unsubscribeUrl(config, reader, editionId));
    const res = await fetch(link, { method: 'POST' });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('You are unsubscribed');
    expect(html).toContain('/resubscribe');
    expect(html).toContain('fewer=1');
    expect(await status()).toBe('unsubscribed');
    expect(await events()).toEqual([expect.objectContaining({ subscriber_id: reader.id, type: 'unsubscribed', edition_id: editionId })]);
  });

  it('unsubscribes on an RFC 8058 one-click POST, urlencoded, and repeating it is harmless', async () => {
    const { reader, editionId } = await start();
    const link = local(unsubscribeUrl(config, reader, editionId));
    for (let i = 0; i < 2; i++) {
      const res = await fetch(link, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });
      expect(res.status).toBe(200);
    }
    expect(await status()).toBe('unsubscribed');
    expect((await events()).filter((e) => e.type === 'unsubscribed')).toHaveLength(1);
  });

  it('unsubscribes on a one-click POST sent as multipart/form-data', async () => {
    const { reader } = await start();
    const body = new FormData();
    body.append('List-Unsubscribe', 'One-Click');
    const res = await fetch(local(unsubscribeUrl(config, reader)), { method: 'POST', body });
    expect(res.status).toBe(200);
    expect(await status()).toBe('unsubscribed');
  });

  it('keeps the reason given on the after-page with the unsubscribe event', async () => {
    const { reader, editionId } = await start();
    const link = local(unsubscribeUrl(config, reader, editionId));
    await fetch(link, { method: 'POST' });
    const res = await fetch(link, { method: 'POST', body: new URLSearchParams({ reason: 'too_many', comment: 'daily is a lot' }) });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Thank you');
    expect(await events()).toEqual([
      expect.objectContaining({ type: 'unsubscribed', edition_id: editionId, reason: 'too_many: daily is a lot' }),
    ]);
  });

  it('refuses forged, truncated, altered, wrong-purpose and swapped tokens with 4xx and changes nothing', async () => {
    const { db, reader } = await start();
    const other = await db
      .insertInto('subscribers')
      .values({ email: 'other@example.com', status: 'active', confirmed_at: new Date() })
      .returningAll()
      .executeTakeFirstOrThrow();
    const good = unsubscribeUrl(config, reader).split('/u/')[1]!;
    const [purpose, kid, subject, sig] = good.split('.') as [string, string, string, string];
    const otherSig = unsubscribeUrl(config, other).split('.')[3]!;
    const candidates = [
      good.slice(0, -4),
      good.slice(0, 20),
      `${purpose}.${kid}.${subject}.${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`,
      `${purpose}.${kid}.${other.id.toString(36)}-0.${sig}`,
      `${purpose}.${kid}.${subject}.${otherSig}`,
      signToken(config.keys, 'preferences', { subscriberId: reader.id, version: 0 }),
      signToken({ current: { id: kid, key: Buffer.from('an attacker guessing the key') } }, 'unsubscribe', {
        subscriberId: reader.id,
        version: 0,
      }),
      'garbage',
    ];
    for (const token of candidates) {
      const get = await fetch(`${server!.url}/u/${encodeURIComponent(token)}`);
      expect(get.status, token).toBeGreaterThanOrEqual(400);
      expect(get.status, token).toBeLessThan(500);
      const post = await fetch(`${server!.url}/u/${encodeURIComponent(token)}`, {
        method: 'POST',
        body: new URLSearchParams({ 'List-Unsubscribe': 'One-Click' }),
      });
      expect(post.status, token).toBeGreaterThanOrEqual(400);
      expect(post.status, token).toBeLessThan(500);
    }
    const statuses = await db.selectFrom('subscribers').select('status').execute();
    expect(statuses.map((s) => s.status)).toEqual(['active', 'active']);
    expect(await events()).toEqual([]);
  });

  it('still honours links signed with the previous SECRET after a rotation', async () => {
    const { reader } = await start();
    const oldLink = unsubscribeUrl(config, reader);
    await server!.close();
    const rotated = testConfig({
      PUBLIC_URL: 'http://digest.test',
      SECRET: 'a-brand-new-secret-0123456789',
      SECRET_PREVIOUS: 'test-secret-0123456789abcdef',
    });
    server = await startTestServer(t!, rotated);
    expect((await fetch(local(oldLink), { method: 'POST' })).status).toBe(200);
    expect(await status()).toBe('unsubscribed');
  });

  it('answers 410 for the link of a reader who was erased', async () => {
    const { db, reader } = await start();
    await db.deleteFrom('subscribers').where('id', '=', reader.id).execute();
    expect((await fetch(local(unsubscribeUrl(config, reader)), { method: 'POST' })).status).toBe(410);
  });

  it('lets the reader undo with the resubscribe button', async () => {
    const { reader } = await start();
    const link = local(unsubscribeUrl(config, reader));
    await fetch(link, { method: 'POST' });
    const res = await fetch(`${link}/resubscribe`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await status()).toBe('active');
    expect((await events()).map((e) => e.type)).toEqual(['unsubscribed', 'resubscribed']);
  });

  it('saves preferences from the signed link, and refuses bad values with 400', async () => {
    const { db, reader } = await start();
    const link = local(preferencesUrl(config, reader));
    const page = await fetch(link);
    expect(page.status).toBe(200);
    const html = await page.text();
    for (const field of ['name="sections"', 'name="frequency"', 'name="weekday"', 'name="send_hour"', 'name="timezone"', 'name="name"'])
      expect(html).toContain(field);

    const body = new URLSearchParams([
      ['name', 'Ada L.'],
      ['sections', 'blogs'],
      ['frequency', 'weekly'],
      ['weekday', '5'],
      ['send_hour', '7'],
      ['timezone', 'Europe/Amsterdam'],
    ]);
    const saved = await fetch(link, { method: 'POST', body });
    expect(saved.status).toBe(200);
    expect(await saved.text()).toContain('Saved.');
    expect(await db.selectFrom('subscribers').selectAll().where('id', '=', reader.id).executeTakeFirstOrThrow()).toMatchObject({
      name: 'Ada L.',
      sections: ['blogs'],
      frequency: 'weekly',
      weekday: 5,
      send_hour: 7,
      timezone: 'Europe/Amsterdam',
      status: 'active',
    });

    const bad = await fetch(link, {
      method: 'POST',
      body: new URLSearchParams([
        ['frequency', 'hourly'],
        ['send_hour', '25'],
        ['timezone', 'Mars/Olympus'],
      ]),
    });
    expect(bad.status).toBe(400);
    const badHtml = await bad.text();
    expect(badHtml).toContain('aria-invalid="true"');
    expect((await db.selectFrom('subscribers').select('timezone').where('id', '=', reader.id).executeTakeFirstOrThrow()).timezone).toBe(
      'Europe/Amsterdam',
    );
    expect((await fetch(link.replace('/p/', '/u/'))).status).toBe(400); // a preferences token never unsubscribes
  });

  it('turns "fewer emails instead" into a weekly subscription for a reader who just left', async () => {
    const { db, reader } = await start();
    await fetch(local(unsubscribeUrl(config, reader)), { method: 'POST' });
    const link = local(preferencesUrl(config, reader));
    const page = await (await fetch(`${link}?fewer=1`)).text();
    expect(page).toMatch(/value="weekly" checked/);
    expect(page).toContain('Save and resubscribe');
    const res = await fetch(link, {
      method: 'POST',
      body: new URLSearchParams([
        ['sections', 'stories'],
        ['sections', 'blogs'],
        ['frequency', 'weekly'],
        ['weekday', '1'],
      ]),
    });
    expect(res.status).toBe(200);
    expect(await db.selectFrom('subscribers').selectAll().where('id', '=', reader.id).executeTakeFirstOrThrow()).toMatchObject({
      status: 'active',
      frequency: 'weekly',
      weekday: 1,
    });
    expect((await events()).map((e) => e.type)).toEqual(['unsubscribed', 'preferences', 'resubscribed']);
  });
});
