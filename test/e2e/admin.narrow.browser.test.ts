import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shiftedClock, silentLogger } from '../../src/config/index.js';
import { startService, type RunningService } from '../../src/main.js';
import { adminLogin, adminPost } from '../helpers/admin.js';
import { launchBrowser, overflowsHorizontally, PHONE, screenshot } from '../helpers/browser.js';
import { ADMIN_TOKEN, testConfig } from '../helpers/config.js';
import { createTestDatabase, SERVICE_ENGINE, type TestDatabase } from '../helpers/database.js';

/**
 * Every admin page read on a 375 px phone and a 1280 px desktop in Debian's Chromium, after the
 * demo's edition went out: nothing cut off (a table's columns, a cell's text, the preview's email),
 * the navigation on one row, chart labels a person can read. Measured in the page, as laid out.
 */
const DESKTOP_WIDE = { width: 1280, height: 900 } as const;

/** What is wrong with the page's layout, one line per problem; run in the page (a string: no DOM types here). */
const LAYOUT_PROBLEMS = `(() => {
  const problems = [];
  const vw = document.documentElement.clientWidth;
  const shown = (el) => el.getClientRects().length > 0;
  if (document.documentElement.scrollWidth > vw + 1) problems.push('the page scrolls sideways (' + document.documentElement.scrollWidth + ' px)');

  // The navigation: one row, not much taller than a line.
  const links = [...document.querySelectorAll('header a[href]')].filter(shown);
  if (links.length < 6) problems.push('the header has ' + links.length + ' links');
  const tops = links.map((a) => a.getBoundingClientRect().top);
  const bottoms = links.map((a) => a.getBoundingClientRect().bottom);
  if (Math.max(...tops) - Math.min(...tops) > 2) problems.push('the navigation wraps onto several rows');
  if (Math.max(...bottoms) - Math.min(...tops) > 40) problems.push('the navigation is ' + Math.round(Math.max(...bottoms) - Math.min(...tops)) + ' px tall');
  // A row that scrolls still shows where you are.
  const current = document.querySelector('header a[aria-current]');
  if (current) {
    const r = current.getBoundingClientRect();
    const box = current.parentElement.getBoundingClientRect();
    if (r.left < Math.max(0, box.left) - 0.5 || r.right > Math.min(vw, box.right) + 0.5) problems.push('the link to this page is out of sight');
  }

  // Tables: every column in sight without scrolling, no cell's text cut.
  for (const table of [...document.querySelectorAll('main table')].filter(shown)) {
    const box = table.parentElement;
    const name = (table.querySelector('th') || table).textContent.trim().slice(0, 20);
    if (box.scrollWidth > box.clientWidth + 1) problems.push('table "' + name + '" is ' + box.scrollWidth + ' px wide in a ' + box.clientWidth + ' px box');
    for (const cell of [...table.querySelectorAll('th, td')].filter(shown)) {
      if (cell.closest('thead') && getComputedStyle(cell.closest('thead')).position === 'absolute') continue;
      const r = cell.getBoundingClientRect();
      if (cell.scrollWidth > cell.clientWidth + 1 || r.right > vw + 1)
        problems.push('cell "' + cell.textContent.trim().slice(0, 20) + '" is cut off');
    }
  }

  // Charts: every label at least 10 px as rendered (an SVG scaled down shrinks its text).
  for (const figure of document.querySelectorAll('figure.chart')) {
    for (const el of figure.querySelectorAll('*')) {
      if (el.closest('title, desc') || !shown(el)) continue;
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim() !== '');
      if (!own) continue;
      let size = parseFloat(getComputedStyle(el).fontSize);
      if (el instanceof SVGGraphicsElement) {
        const m = el.getScreenCTM();
        size *= Math.min(Math.hypot(m.a, m.b), Math.hypot(m.c, m.d));
      }
      if (size < 10) problems.push('chart text "' + el.textContent.trim() + '" is ' + size.toFixed(1) + ' px');
    }
    const xs = [...figure.querySelectorAll('.plot .x span')].map((s) => s.getBoundingClientRect());
    for (let i = 1; i < xs.length; i++) if (xs[i].left < xs[i - 1].right) problems.push('chart day labels overlap');
  }

  return problems;
})()`;

let browser: Browser;
let t: TestDatabase;
let service: RunningService;
let editionId: number;
let readerId: number;

beforeAll(async () => {
  browser = await launchBrowser();
  t = await createTestDatabase(SERVICE_ENGINE);
  const config = testConfig({ HOST: '127.0.0.1', WORKERS: '1', SITE_NAME: 'The Amman Morning Chronicle' });
  service = await startService(config, silentLogger, {
    database: t,
    demo: true,
    clock: shiftedClock(`${new Date().toISOString().slice(0, 10)}T22:34:00Z`),
  });
  // The demo's edition sent to its five readers, so every table has rows and the inbox has mail.
  const session = await adminLogin(service.url);
  const demo = service.demo!;
  expect(
    (await adminPost(service.url, '/admin/editions/send-now', session, { date: demo.date, ...(demo.slot ? { slot: demo.slot } : {}) }))
      .status,
  ).toBe(303);
  const caught = async () =>
    ((await (await fetch(`${service.url}/inbox/messages.json`, { headers: { cookie: session.cookie } })).json()) as unknown[]).length;
  for (const until = Date.now() + 60_000; (await caught()) < 5; ) {
    if (Date.now() > until) throw new Error('the demo edition did not reach the inbox within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  editionId = (await t.db.selectFrom('editions').select('id').executeTakeFirstOrThrow()).id;
  readerId = (await t.db.selectFrom('subscribers').select('id').orderBy('id').executeTakeFirstOrThrow()).id;
});

afterAll(async () => {
  await browser?.close();
  await service?.close();
  await t?.close();
});

async function logIn(page: Page): Promise<void> {
  await page.goto(`${service.url}/admin/login`);
  await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${service.url}/admin`);
}

describe.each([PHONE, DESKTOP_WIDE])('the admin at %o', (viewport) => {
  it('cuts nothing off on any page: one-row navigation, whole tables, legible chart labels', async () => {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    try {
      await logIn(page);
      const found: Record<string, string[]> = {};
      for (const path of [
        '/admin',
        '/admin/editions',
        `/admin/editions/${editionId}`,
        '/admin/stories',
        '/admin/subscribers',
        `/admin/subscribers/${readerId}`,
        '/admin/preview',
        '/inbox',
      ]) {
        await page.goto(service.url + path, { waitUntil: 'load' });
        await screenshot(page, `admin-narrow${path.replace(/\W+/g, '-')}-${viewport.width}`);
        const problems = (await page.evaluate(LAYOUT_PROBLEMS)) as string[];
        if (problems.length > 0) found[path] = problems;
      }
      expect(found).toEqual({});
    } finally {
      await context.close();
    }
  });

  it('shows the preview email whole: the phone frame on any screen, the 800 px desktop frame wherever it has room', async () => {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    try {
      await logIn(page);
      await page.goto(`${service.url}/admin/preview`, { waitUntil: 'load' });
      await screenshot(page, `admin-preview-${viewport.width}`);
      // Each frame's inner width, and how much of it a box around it (or the screen) hides until scrolled.
      const frames = (await page.evaluate(`[...document.querySelectorAll('iframe.preview')].map((f) => {
        const r = f.getBoundingClientRect();
        let hidden = Math.max(0, r.right - document.documentElement.clientWidth, -r.left);
        let scrolls = false;
        for (let a = f.parentElement; a && a !== document.body; a = a.parentElement) {
          const style = getComputedStyle(a);
          if (style.overflowX === 'visible') continue;
          const b = a.getBoundingClientRect();
          hidden = Math.max(hidden, r.right - b.right, b.left - r.left);
          scrolls ||= style.overflowX === 'auto' || style.overflowX === 'scroll';
        }
        return { title: f.title, width: f.clientWidth, hidden: Math.round(hidden), scrolls };
      })`)) as { title: string; width: number; hidden: number; scrolls: boolean }[];
      expect(frames.map((f) => f.title)).toEqual(['preview at 375 px', 'preview at 800 px']);
      const [phone, desktop] = frames as [(typeof frames)[0], (typeof frames)[0]];
      expect(phone.hidden, 'the phone frame is cut off').toBe(0);
      expect(phone.width).toBeLessThanOrEqual(375);
      expect(desktop.width).toBe(800);
      if (viewport.width >= 1280) {
        expect(phone.width).toBe(375);
        expect(desktop.hidden, 'the desktop frame is cut off').toBe(0);
      } else {
        // No room for 800 px: the frame keeps its width and scrolls sideways in its own box, not the page.
        expect(desktop.scrolls).toBe(true);
        expect(await overflowsHorizontally(page)).toBe(false);
      }
      const inner = page.frames().filter((f) => f !== page.mainFrame());
      expect(inner).toHaveLength(2);
      for (const frame of inner) {
        // Nothing of the email beyond its frame's right edge.
        expect(await frame.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBeLessThanOrEqual(0);
      }
    } finally {
      await context.close();
    }
  });
});

describe('the inbox’s Empty button', () => {
  it('is a secondary button offered while there is mail, and gone once the inbox is empty', async () => {
    const context = await browser.newContext({ viewport: DESKTOP_WIDE });
    const page = await context.newPage();
    try {
      await logIn(page);
      await page.goto(`${service.url}/inbox`);
      const empty = page.getByRole('button', { name: 'Empty the inbox' });
      expect(await empty.isVisible()).toBe(true);
      // Secondary: white, where the page's main actions are filled.
      const background = `getComputedStyle([...document.querySelectorAll('button')].find((b) => b.textContent === 'Empty the inbox')).backgroundColor`;
      expect(await page.evaluate(background)).toBe('rgb(255, 255, 255)');
      await empty.click();
      await page.waitForURL(`${service.url}/inbox`);
      await expect.poll(() => page.locator('main p.muted').first().textContent()).toMatch(/^No messages caught on /);
      expect(await page.getByRole('button', { name: 'Empty the inbox' }).isVisible()).toBe(false);
    } finally {
      await context.close();
    }
  });
});
