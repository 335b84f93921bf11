import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { preferencesUrl, unsubscribeUrl } from '../../src/subscribers/index.js';
import { DESKTOP, launchBrowser, overflowsHorizontally, PHONE, screenshot } from '../helpers/browser.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, SERVICE_ENGINE, type TestDatabase } from '../helpers/database.js';
import { startTestServer, type TestServer } from '../helpers/http.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

/**
 * The reader-facing pages in Debian's Chromium at phone (375 px) and desktop (800 px) widths, with
 * JavaScript switched off (they must work without it): nothing overflows sideways, every form can be
 * filled in and submitted by label, and the result is what the reader expects. Screenshots land in
 * test/artifacts/.
 */
let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => browser?.close());

describe.each([PHONE, DESKTOP])('reader pages at %o', (viewport) => {
  let t: TestDatabase | undefined;
  let server: TestServer | undefined;
  let sink: SmtpSink | undefined;
  let page: Page | undefined;
  afterEach(async () => {
    await page?.context().close();
    await server?.close();
    await sink?.close();
    await t?.close();
    page = server = sink = t = undefined;
  });

  // A long site name and a long address: the things that break narrow layouts.
  const config = testConfig({
    PUBLIC_URL: 'http://digest.test',
    SITE_NAME: 'The Amman Morning Chronicle Daily Digest',
    POSTAL_ADDRESS: '1 Main Street, Springfield',
  });
  const w = viewport.width;
  async function start() {
    t = await createTestDatabase(SERVICE_ENGINE);
    sink = await startSmtpSink();
    server = await startTestServer(t, config, { smtpUrl: sink.url });
    const context = await browser.newContext({ viewport, javaScriptEnabled: false });
    page = await context.newPage();
    return { db: t.db, page, base: server.url };
  }
  const local = (link: string) => link.replace('http://digest.test', server!.url);
  async function check(p: Page, name: string) {
    expect(await overflowsHorizontally(p), `${name} overflows at ${w} px`).toBe(false);
    await screenshot(p, `subscribers-${name}-${w}`);
  }

  it('sign-up page: fill in by label, submit, check-your-inbox; then the confirm page and its button', async () => {
    const { db, page: p, base } = await start();
    await p.goto(`${base}/`);
    await check(p, 'signup');
    await p.getByLabel('Email address').fill('a.very.long.address.for.a.narrow.phone@subdomain.example.com');
    await p.getByLabel(/^Name/).fill('Ada');
    await p.getByLabel('From the blogs').uncheck();
    await p.getByRole('button', { name: 'Subscribe' }).click();
    await p.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    await check(p, 'check-inbox');

    const [mail] = await sink!.waitFor(1);
    const link = /http:\/\/digest\.test\/confirm\/[A-Za-z0-9._-]+/.exec(mail!.parsed.text ?? '')![0];
    await p.goto(local(link));
    await check(p, 'confirm');
    expect(await db.selectFrom('subscribers').select(['status', 'sections']).executeTakeFirstOrThrow()).toEqual({
      status: 'pending',
      sections: ['stories'],
    });
    await p.getByRole('button', { name: 'Yes, subscribe me' }).click();
    await p.getByRole('heading', { name: 'You are subscribed' }).waitFor();
    await check(p, 'confirmed');
    expect((await db.selectFrom('subscribers').select('status').executeTakeFirstOrThrow()).status).toBe('active');
  });

  it('sign-up page shows the error beside the field for a bad address', async () => {
    const { page: p, base } = await start();
    await p.goto(`${base}/`);
    await p.getByLabel('Email address').fill('not an address');
    await p.getByRole('button', { name: 'Subscribe' }).click();
    await p.getByRole('alert').waitFor();
    expect(await p.getByLabel('Email address').getAttribute('aria-invalid')).toBe('true');
    await check(p, 'signup-error');
  });

  it('embeddable form fits a narrow column', async () => {
    const { page: p, base } = await start();
    await p.setViewportSize({ width: Math.min(w, 320), height: 400 });
    await p.goto(`${base}/embed`);
    expect(await overflowsHorizontally(p)).toBe(false);
    await screenshot(p, `subscribers-embed-${w}`);
    await p.setViewportSize(viewport);
  });

  it('unsubscribe page: one button, then the after-page with reason, resubscribe and fewer emails', async () => {
    const { db, page: p } = await start();
    const s = await db
      .insertInto('subscribers')
      .values({ email: 'reader.with.a.rather.long.address@example.com', status: 'active', confirmed_at: new Date() })
      .returningAll()
      .executeTakeFirstOrThrow();
    await p.goto(local(unsubscribeUrl(config, s)));
    await check(p, 'unsubscribe');
    expect((await db.selectFrom('subscribers').select('status').executeTakeFirstOrThrow()).status).toBe('active');
    await p.getByRole('button', { name: 'Unsubscribe' }).click();
    await p.getByRole('heading', { name: 'You are unsubscribed' }).waitFor();
    await check(p, 'unsubscribed');
    expect((await db.selectFrom('subscribers').select('status').executeTakeFirstOrThrow()).status).toBe('unsubscribed');
    await p.getByLabel('Too many emails').check();
    await p.getByRole('button', { name: 'Send' }).click();
    await p.getByText('Thank you for telling us.').waitFor();
    const ev = await db.selectFrom('subscriber_events').select(['type', 'reason']).execute();
    expect(ev).toEqual([{ type: 'unsubscribed', reason: 'too_many' }]);
    await p.getByRole('link', { name: 'Get fewer emails instead' }).click();
    await p.getByRole('heading', { name: 'Your preferences' }).waitFor();
    expect(await p.getByLabel(/Once a week/).isChecked()).toBe(true);

    // The same link again, days later: no dead end, a way back in.
    await p.goto(local(unsubscribeUrl(config, s)));
    await p.getByText(/is already unsubscribed/).waitFor();
    await check(p, 'unsubscribe-again');
    await p.getByRole('button', { name: 'Resubscribe' }).click();
    await p.getByRole('heading', { name: 'Welcome back' }).waitFor();
    expect((await db.selectFrom('subscribers').select('status').executeTakeFirstOrThrow()).status).toBe('active');
  });

  it('preferences page: every control reachable by label, saved on submit', async () => {
    const { db, page: p } = await start();
    const s = await db
      .insertInto('subscribers')
      .values({ email: 'prefs@example.com', status: 'active', confirmed_at: new Date() })
      .returningAll()
      .executeTakeFirstOrThrow();
    await p.goto(local(preferencesUrl(config, s)));
    await check(p, 'preferences');
    // The usual-time choice reads whole in its box, at 375 px too.
    const usual = (await p.evaluate(`(() => {
      const select = document.getElementById('send_hour');
      const style = getComputedStyle(select);
      const ctx = document.createElement('canvas').getContext('2d');
      ctx.font = style.fontSize + ' ' + style.fontFamily;
      const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 20;
      return { text: select.options[select.selectedIndex].text, width: ctx.measureText(select.options[select.selectedIndex].text).width, room };
    })()`)) as { text: string; width: number; room: number };
    expect(usual.text).toMatch(/^06:00, as usual \(UTC\)$/);
    expect(usual.width, `"${usual.text}" is ${Math.round(usual.width)} px in ${Math.round(usual.room)} px`).toBeLessThanOrEqual(usual.room);
    // A daily reader is not asked for a weekday (no script: the stylesheet hides it while "Every day" is chosen).
    expect(await p.getByLabel('Every day').isChecked()).toBe(true);
    expect(await p.getByLabel('Day for the weekly edition').isVisible()).toBe(false);
    await p.getByLabel(/^Name/).fill('Grace');
    await p.getByLabel('Top stories', { exact: true }).uncheck();
    await p.getByLabel(/Once a week/).check();
    expect(await p.getByLabel('Day for the weekly edition').isVisible()).toBe(true);
    await p.getByLabel('Day for the weekly edition').selectOption({ label: 'Friday' });
    await p.getByLabel('Delivery time').selectOption({ label: '07:00' });
    await p.getByLabel('Time zone').selectOption('Asia/Amman');
    await p.getByRole('button', { name: 'Save preferences' }).click();
    // Saved, and when the next one comes under the new settings: Friday's weekly edition, in Amman's time.
    await p.getByText(/^Saved\. Your next digest: Friday \d{1,2} [A-Z][a-z]+, \d\d:00 \(Asia\/Amman\)\.$/).waitFor();
    await check(p, 'preferences-saved');
    expect(
      await db
        .selectFrom('subscribers')
        .select(['name', 'sections', 'frequency', 'weekday', 'send_hour', 'timezone'])
        .executeTakeFirstOrThrow(),
    ).toEqual({
      name: 'Grace',
      sections: ['blogs'],
      frequency: 'weekly',
      weekday: 5,
      send_hour: 7,
      timezone: 'Asia/Amman',
    });
  });

  it('manage page and a stale link page fit too', async () => {
    const { page: p, base } = await start();
    await p.goto(`${base}/manage`);
    await check(p, 'manage');
    const res = await p.goto(`${base}/u/unsubscribe.xx.1-0.AAAAAAAAAAAAAAAAAAAAAA`);
    expect(res?.status()).toBe(400);
    await check(p, 'bad-link');
  });
});
