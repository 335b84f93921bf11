import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/config/index.js';
import { startService, type RunningService } from '../../src/main.js';
import { importStories } from '../../src/stories/index.js';
import { DESKTOP, launchBrowser, overflowsHorizontally, PHONE, screenshot } from '../helpers/browser.js';
import { messagesTo, waitForMessageTo } from '../helpers/catcher-inbox.js';
import { runDigest } from '../helpers/cli.js';
import { ADMIN_TOKEN, testConfig } from '../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { reservePort, type ReservedPort } from '../helpers/ports.js';

/**
 * One reader's whole journey, the way it happens in production: the real service (`startService`, as
 * `digest serve` runs it) on real PostgreSQL with its built-in mail catcher, `digest send` as a real
 * process mailing through that catcher, and Debian's Chromium doing what the reader does. Every step's
 * screenshot lands in test/artifacts/journey-*.png.
 *
 * Time: the send slot is half an hour ahead, so the service's own scheduler never fires during the
 * test and only the operator's `digest send --date` sends (an operator's "send now").
 */
const READER = 'ada.lovelace@example.com';
const OTHER = 'grace.hopper@example.com';
const SECRET = 'test-secret-0123456789abcdef';
const HOUR = 3_600_000;

describe('the reader journey, end to end (PostgreSQL, built-in catcher, Chromium)', () => {
  let t: TestDatabase;
  let service: RunningService;
  let reserved: ReservedPort | undefined;
  let browser: Browser;
  let workDir: string;
  let base: string;
  let env: Record<string, string>;
  const slot = new Date(Date.now() + 30 * 60_000);
  slot.setUTCSeconds(0, 0);
  const today = slot.toISOString().slice(0, 10);
  const tomorrow = new Date(slot.getTime() + 24 * HOUR).toISOString().slice(0, 10);
  const cron = `${slot.getUTCMinutes()} ${slot.getUTCHours()} * * *`;

  beforeAll(async () => {
    t = await createTestDatabase('postgres');
    // PUBLIC_URL, in every email link, names the port before the service starts: a reserved one
    // (helpers/ports.ts), which the service listens on over the reservation, so that no other
    // process can take it in between.
    reserved = await reservePort();
    const port = reserved.port;
    base = `http://127.0.0.1:${port}`;
    const settings = {
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: base,
      DIGEST_CRON: cron,
      DIGEST_TZ: 'UTC',
      SITE_NAME: 'The Morning Post',
      POSTAL_ADDRESS: '1 Main Street, Springfield',
      WORKERS: '1',
    };
    service = await startService(testConfig(settings), silentLogger, { database: t });
    expect(service.catcher, 'no SMTP_URL: the built-in catcher').toBeDefined();
    workDir = mkdtempSync(join(tmpdir(), 'digest-journey-'));
    // `digest send` as an operator runs it: same database, same secret and public URL, mail to the
    // catcher the service started.
    env = {
      ...settings,
      DATABASE_URL: t.url!,
      SMTP_URL: service.smtpUrl,
      SECRET,
      ADMIN_TOKEN,
      DATA_DIR: join(workDir, 'data'),
      LOG_LEVEL: 'warn',
    };
    delete (env as Record<string, string | undefined>).PORT;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await service?.close();
    await reserved?.release();
    await t?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  const status = async (email: string) =>
    (await t.db.selectFrom('subscribers').select('status').where('email', '=', email).executeTakeFirstOrThrow()).status;

  async function newPage(viewport: { width: number; height: number }): Promise<Page> {
    const context = await browser.newContext({ viewport });
    // Story images live on hosts that do not exist here: refuse them, as many mail clients do.
    await context.route(/^(?!http:\/\/127\.0\.0\.1)/, (route) => route.abort());
    // The catcher's inbox is the operator's (it holds every reader's links): the test reads the
    // reader's mail there with the admin token, and only there.
    await context.route(/\/inbox\//, (route) =>
      route.continue({ headers: { ...route.request().headers(), authorization: `Bearer ${ADMIN_TOKEN}` } }),
    );
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.setDefaultNavigationTimeout(15_000);
    return page;
  }

  /**
   * Clicks a link in an email as the reader does and returns the page it opened: email buttons carry
   * target="_blank" (a new tab, as in a mail client), plain links replace the message.
   */
  async function follow(page: Page, link: Locator): Promise<Page> {
    const href = (await link.getAttribute('href'))!;
    const popup = page.waitForEvent('popup', { timeout: 15_000 }).catch(() => undefined);
    const same = page.waitForURL(href, { timeout: 15_000 }).then(
      () => page,
      () => undefined,
    );
    await link.click();
    const opened = await Promise.race([popup, same]);
    if (!opened) throw new Error(`clicking ${href} opened nothing`);
    await opened.waitForLoadState();
    expect(opened.url()).toBe(href);
    return opened;
  }

  async function step(page: Page, name: string) {
    expect(await overflowsHorizontally(page), `${name} overflows at ${page.viewportSize()!.width} px`).toBe(false);
    await screenshot(page, `journey-${name}`);
  }

  it('signs up, confirms, reads the digest at 375 and 800 px, unsubscribes, is left out of the next send, resubscribes', async () => {
    let page = await newPage(DESKTOP);

    // 1. The sign-up form, filled in by its labels.
    await page.goto(`${base}/`);
    await step(page, '01-signup');
    await page.getByLabel('Email address').fill(READER);
    await page.getByLabel(/^Name/).fill('Ada');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    await step(page, '02-check-inbox');
    expect(await status(READER)).toBe('pending');

    // 2. The confirmation email arrives at the catcher; the reader opens it and follows its link.
    const confirmation = await waitForMessageTo(base, READER, 0);
    await page.goto(`${base}/inbox/${confirmation.id}/html`);
    await step(page, '03-confirmation-email');
    const confirmButton = page.getByRole('link', { name: 'Confirm my subscription' });
    expect(await confirmButton.getAttribute('href')).toMatch(new RegExp(`^${base}/confirm/`));
    page = await follow(page, confirmButton);
    // GET shows a button and changes nothing (mail scanners fetch links); pressing it confirms.
    await page.getByRole('button', { name: 'Yes, subscribe me' }).waitFor();
    await step(page, '04-confirm-page');
    expect(await status(READER)).toBe('pending');
    await page.getByRole('button', { name: 'Yes, subscribe me' }).click();
    await page.getByRole('heading', { name: 'You are subscribed' }).waitFor();
    await step(page, '05-confirmed');
    expect(await status(READER)).toBe('active');

    // A second reader, so the later send is shown to go out while it leaves our reader out.
    await t.db.insertInto('subscribers').values({ email: OTHER, name: 'Grace', status: 'active', confirmed_at: new Date() }).execute();

    // 3. Stories from a real RSS file, their dates moved into the edition's window (the 24 h before the slot).
    const rss = readFileSync('test/fixtures/feeds/news.rss', 'utf8');
    let hoursBack = 1;
    const feed = rss.replace(
      /<pubDate>[^<]*<\/pubDate>/g,
      () => `<pubDate>${new Date(Date.now() - hoursBack++ * HOUR).toUTCString()}</pubDate>`,
    );
    const feedFile = join(workDir, 'news.rss');
    writeFileSync(feedFile, feed);
    const imported = await importStories(t.db, feedFile, { now: new Date(Date.now() - 10 * 60_000) });
    expect(imported.inserted).toBe(3);
    expect(imported.problems).toHaveLength(1); // the item without a link is reported, not imported

    // 4. `digest send` (a real process) for today's edition.
    const before = (await messagesTo(base, READER)).length;
    const sent = await runDigest(['send', '--date', today], env, { timeoutMs: 60_000 });
    expect(sent.code, sent.stdout + sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/rendered, 2 deliveries created/);
    const edition = await t.db.selectFrom('editions').selectAll().where('date', '=', today).executeTakeFirstOrThrow();
    expect(edition.story_ids).toHaveLength(3);
    const stories = await t.db.selectFrom('stories').select(['id', 'title', 'url']).where('id', 'in', edition.story_ids).execute();

    // 5. The digest arrives; the reader opens it at phone and desktop widths.
    const digest = await waitForMessageTo(base, READER, before);
    expect(digest.subject).not.toBe(confirmation.subject);
    let unsubscribeHref = '';
    for (const viewport of [PHONE, DESKTOP]) {
      const p = viewport === DESKTOP ? page : await newPage(viewport);
      await p.goto(`${base}/inbox/${digest.id}/html`);
      await step(p, `06-digest-${viewport.width}`);
      for (const s of stories) {
        // Every story's headline is a link the reader can see, inside the screen's width.
        const links = p.getByRole('link', { name: s.title, exact: true });
        const boxes = [];
        for (const l of await links.all()) if (await l.isVisible()) boxes.push(await l.boundingBox());
        expect(boxes.length, `a visible link for "${s.title}" at ${viewport.width} px`).toBeGreaterThan(0);
        for (const b of boxes) expect(b!.x + b!.width, s.title).toBeLessThanOrEqual(viewport.width + 1);
      }
      // The footer: the reader's own unsubscribe link.
      const unsubscribe = p.locator(`a[href^="${base}/u/"]`).first();
      expect(await unsubscribe.isVisible(), `unsubscribe link at ${viewport.width} px`).toBe(true);
      unsubscribeHref = (await unsubscribe.getAttribute('href'))!;
      if (p !== page) await p.context().close();
    }

    // 6. The unsubscribe link: GET shows a page and changes nothing; the button unsubscribes.
    page = await follow(page, page.locator(`a[href="${unsubscribeHref}"]`).first());
    await page.getByRole('button', { name: 'Unsubscribe' }).waitFor();
    await step(page, '07-unsubscribe-page');
    expect(await status(READER)).toBe('active');
    await page.getByRole('button', { name: 'Unsubscribe' }).click();
    await page.getByRole('heading', { name: 'You are unsubscribed' }).waitFor();
    await step(page, '08-unsubscribed');
    expect(await status(READER)).toBe('unsubscribed');

    // 7. The next edition (tomorrow's), with a story posted through the API, goes out without this reader.
    const posted = await fetch(`${base}/api/stories`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        url: 'https://news.example.com/world/tomorrow',
        title: 'Tomorrow’s lead story',
        summary: 'For the next edition.',
        published_at: new Date(slot.getTime() + HOUR).toISOString(),
      }),
    });
    expect(posted.status).toBe(200);
    const readerMail = (await messagesTo(base, READER)).length;
    const otherMail = (await messagesTo(base, OTHER)).length;
    const next = await runDigest(['send', '--date', tomorrow], env, { timeoutMs: 60_000 });
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(next.stdout).toMatch(/rendered, 1 deliveries created/);
    await waitForMessageTo(base, OTHER, otherMail); // the send did go out…
    expect((await messagesTo(base, READER)).length).toBe(readerMail); // …and not to our reader
    const nextEdition = await t.db.selectFrom('editions').select('id').where('date', '=', tomorrow).executeTakeFirstOrThrow();
    const nextDeliveries = await t.db
      .selectFrom('deliveries')
      .innerJoin('subscribers', 'subscribers.id', 'deliveries.subscriber_id')
      .select(['email', 'deliveries.status'])
      .where('edition_id', '=', nextEdition.id)
      .execute();
    expect(nextDeliveries).toEqual([{ email: OTHER, status: 'sent' }]);

    // 8. The after-page offers to resubscribe; it works.
    await page.getByRole('button', { name: /resubscribe/i }).click();
    await page.getByRole('heading', { name: 'Welcome back' }).waitFor();
    await step(page, '09-resubscribed');
    expect(await status(READER)).toBe('active');
    await page.context().close();
  }, 240_000); // a bound, not a timing assert: each step has its own
});
