import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, systemClock } from '../../src/config/index.js';
import { createMailer } from '../../src/delivery/index.js';
import { preferencesUrl } from '../../src/subscribers/index.js';
import { buildServer } from '../../src/web/index.js';
import { launchBrowser } from '../helpers/browser.js';
import { fixtureStory } from '../helpers/stories.js';
import { ADMIN_TOKEN, testConfig } from '../helpers/config.js';
import { createTestDatabase, SERVICE_ENGINE, type TestDatabase } from '../helpers/database.js';

/**
 * Pages that match, through a real listening server: unknown addresses and failures get the site's
 * own pages (JSON only for the API and JSON clients), the icon is served, and the preferences page
 * lists IANA's zone names by region, keeps a stored old name, says when the usual edition comes in
 * the reader's zone, and (in Chromium) preselects the browser's zone.
 */
const PUBLIC_URL = 'http://digest.test';
let t: TestDatabase;
let base: string;
let close: () => Promise<void>;
let browser: Browser;
const config = testConfig({ PUBLIC_URL, SITE_NAME: 'The Morning Post', DIGEST_CRON: '0 18 * * *', DIGEST_TZ: 'UTC' });

beforeAll(async () => {
  t = await createTestDatabase(SERVICE_ENGINE);
  const app = await buildServer({
    db: t.db,
    engine: t.engine,
    config,
    log: silentLogger,
    clock: systemClock,
    mailer: createMailer({ url: 'smtp://127.0.0.1:9', from: config.mailFrom, maxConnections: 1 }),
  });
  // A route that fails as a bug would, to see the 500 page (the app is still open to routes before it listens).
  app.get('/boom', async () => {
    throw new Error('secret detail of a bug');
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  close = () => app.close();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await close?.();
  await t?.close();
});

const html = async (res: Response) => {
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  return res.text();
};

describe('error pages', () => {
  it('an unknown address is an HTML 404 page in the site style, with a way back', async () => {
    const res = await fetch(`${base}/no/such/page`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(404);
    const body = await html(res);
    expect(body).toContain('<title>Page not found · The Morning Post</title>');
    expect(body).toContain('href="/editions"');
    expect(body).toContain('href="/favicon.svg"');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    // Without an Accept header too (a browser's favicon guess, curl).
    expect((await fetch(`${base}/nope`)).headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('the API, and clients asking for JSON, get JSON', async () => {
    const api = await fetch(`${base}/api/unknown`, { headers: { accept: 'text/html' } });
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ error: 'not_found' });
    const json = await fetch(`${base}/nope`, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(404);
    expect(await json.json()).toMatchObject({ error: 'not_found' });
    const badJson = await fetch(`${base}/subscribe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email":',
    });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ error: expect.any(String) });
  });

  it('a request that cannot be read is an HTML 400 page naming what was wrong', async () => {
    const res = await fetch(`${base}/subscribe`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: 'x'.repeat(2 * 1024 * 1024),
    });
    expect(res.status).toBe(413);
    expect(await html(res)).toContain('Request refused');
    const bad = await fetch(`${base}/editions/%E0%A4%A`, { headers: { accept: 'text/html' } });
    expect(bad.status).toBe(400);
    expect(await html(bad)).toContain('Bad request');
  });

  it('a failure of ours is an HTML 500 page that tells nothing of its cause', async () => {
    const res = await fetch(`${base}/boom`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(500);
    const body = await html(res);
    expect(body).toContain('Something went wrong');
    expect(body).not.toContain('secret detail');
  });

  it('/healthz and /metrics answer as before', async () => {
    expect((await fetch(`${base}/healthz`)).headers.get('content-type')).toMatch(/json/);
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
  });

  it('serves the icon at /favicon.svg and /favicon.ico', async () => {
    for (const path of ['/favicon.svg', '/favicon.ico']) {
      const res = await fetch(base + path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(/^image\/svg\+xml/);
      expect(await res.text()).toMatch(/^<svg /);
    }
  });
});

describe('the preferences page', () => {
  async function reader(email: string, timezone: string | null) {
    const s = await t.db
      .insertInto('subscribers')
      .values({ email, status: 'active', confirmed_at: new Date(), timezone })
      .returningAll()
      .executeTakeFirstOrThrow();
    return preferencesUrl(config, s).replace(PUBLIC_URL, base);
  }

  it('lists IANA names by region and selects a stored old name under its current name', async () => {
    const body = await html(await fetch(await reader('calcutta@example.com', 'Asia/Calcutta')));
    expect(body).toContain('<optgroup label="Asia">');
    expect(body).toContain('<optgroup label="Europe">');
    expect(body).toMatch(/<option value="Asia\/Kolkata" data-aliases="Asia\/Calcutta" selected>Kolkata<\/option>/);
    expect(body).not.toMatch(/value="(Asia\/Saigon|Europe\/Kiev|Asia\/Calcutta)"/);
    // The usual time, at its real time, in the reader zone: 18:00 UTC is 23:30 in Kolkata.
    expect(body).toContain('23:30, as usual (Asia/Kolkata)');
    expect(body).not.toMatch(/morning edition/i);
  });

  it('saves an old name sent by an old form as the current name', async () => {
    const url = await reader('kiev@example.com', null);
    const res = await fetch(url, {
      method: 'POST',
      body: new URLSearchParams({ sections: 'stories', frequency: 'daily', weekday: '1', send_hour: '', timezone: 'Europe/Kiev' }),
    });
    expect(res.status).toBe(200);
    const row = await t.db.selectFrom('subscribers').select('timezone').where('email', '=', 'kiev@example.com').executeTakeFirstOrThrow();
    expect(row.timezone).toBe('Europe/Kyiv');
  });

  it('preselects the browser zone (Chromium in Asia/Saigon, an old name) when the reader never chose one, under its CSP', async () => {
    const url = await reader('browser@example.com', null);
    const context = await browser.newContext({ timezoneId: 'Asia/Saigon' });
    const page = await context.newPage();
    const refused: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused/i.test(m.text())) refused.push(m.text());
    });
    try {
      await page.goto(url);
      expect(await page.locator('#timezone').inputValue()).toBe('Asia/Ho_Chi_Minh');
      expect(await page.locator('#timezone-browser').isVisible()).toBe(true);
      // 18:00 UTC is 01:00 in Saigon: the usual line follows the zone chosen.
      expect(await page.locator('#send_hour option[value=""]').textContent()).toBe('01:00, as usual (Asia/Ho_Chi_Minh)');
      await page.locator('#timezone').selectOption('Europe/Paris');
      expect(await page.locator('#send_hour option[value=""]').textContent()).toBe('19:00, as usual (Europe/Paris)');
      expect(refused).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('leaves a chosen zone as it is', async () => {
    const url = await reader('chosen@example.com', 'America/New_York');
    const context = await browser.newContext({ timezoneId: 'Asia/Tokyo' });
    const page = await context.newPage();
    try {
      await page.goto(url);
      expect(await page.locator('#timezone').inputValue()).toBe('America/New_York');
      expect(await page.locator('#timezone-browser').isVisible()).toBe(false);
    } finally {
      await context.close();
    }
  });
});

describe('the admin preview', () => {
  const admin = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };

  it('sits in the admin layout, and an empty day says what would happen: nothing sent (EMPTY_DAY=skip), not "ok"', async () => {
    const res = await fetch(`${base}/admin/preview?date=2026-11-26`, admin);
    expect(res.status).toBe(200);
    const body = await html(res);
    expect(body).toContain('<header class="bar">');
    for (const href of ['/admin', '/admin/editions', '/admin/stories', '/admin/subscribers', '/editions'])
      expect(body).toContain(`href="${href}"`);
    expect(body).toMatch(/aria-current="page"[^>]*>Preview|href="\/admin\/preview" aria-current="page"/);
    expect(body).toContain('nothing would be sent (EMPTY_DAY=skip)');
    expect(body).not.toContain('preflight ok');
    expect(body).not.toContain('<iframe');
    expect(body).not.toMatch(/picks/);
  });

  it('a day with stories shows the email at phone and desktop widths side by side, and preflight ok', async () => {
    const {
      id: _id,
      created_at: _c,
      modified_at: _m,
      ...row
    } = fixtureStory({
      title: 'Preview headline',
      url: 'https://news.example.com/preview',
      published_at: new Date('2026-11-27T12:00:00Z'),
    });
    await t.db.insertInto('stories').values(row).execute();
    // DIGEST_CRON is 18:00 UTC here: the 2026-11-27 edition's window holds noon.
    const body = await html(await fetch(`${base}/admin/preview?date=2026-11-27`, admin));
    expect(body).toMatch(/<iframe class="preview" title="preview at 375 px" width="375"/);
    expect(body).toMatch(/<iframe class="preview" title="preview at 800 px" width="800"/);
    expect(body).toContain('preflight ok');
    expect(body).toContain('Preview headline');
    expect(body).toContain('<header class="bar">');
  });

  it('a bad date is a 400 page in the admin layout', async () => {
    const res = await fetch(`${base}/admin/preview?date=bad`, admin);
    expect(res.status).toBe(400);
    const body = await html(res);
    expect(body).toContain('<header class="bar">');
    expect(body).toContain('The date must be YYYY-MM-DD');
  });
});
