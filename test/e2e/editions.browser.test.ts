import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, launchBrowser, overflowsHorizontally, PHONE, screenshot } from '../helpers/browser.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, SERVICE_ENGINE, type TestDatabase } from '../helpers/database.js';
import { startTestServer, type TestServer } from '../helpers/http.js';
import { fixtureStory, referenceArticle } from '../helpers/stories.js';

/**
 * The edition pages in Debian's Chromium under their content-security-policy (no scripts, inline
 * styles only): the reader pages' layout must apply as it does without the policy, and nothing may be refused.
 */
const D = '2026-11-27';
let browser: Browser;
let database: TestDatabase;
let server: TestServer;

beforeAll(async () => {
  browser = await launchBrowser();
  database = await createTestDatabase(SERVICE_ENGINE);
  const ids: number[] = [];
  for (const story of [
    referenceArticle(),
    fixtureStory({ image_url: 'https://img.example.com/wide.jpg' }),
    fixtureStory({ kind: 'blog', title: 'A blog post', url: 'https://blog.example.org/post' }),
  ]) {
    const { id: _id, created_at: _c, modified_at: _m, ...row } = story;
    ids.push((await database.db.insertInto('stories').values(row).returning('id').executeTakeFirstOrThrow()).id);
  }
  for (const [slot, time, storyIds] of [
    ['06:00', '06:00', ids],
    ['18:00', '18:00', ids.slice(1)],
  ] as const) {
    const sendAt = `${D}T${time}:00Z`;
    await database.db
      .insertInto('editions')
      .values({
        date: D,
        slot,
        status: 'sent',
        send_at: sendAt,
        cutoff_at: `${D}T23:59:00Z`,
        started_at: sendAt,
        window_start: `2026-11-26T${time}:00Z`,
        window_end: sendAt,
        subject: `Edition ${slot}`,
        story_ids: [...storyIds],
      })
      .execute();
  }
  server = await startTestServer(database, testConfig({ PUBLIC_URL: 'https://digest.example.com', SITE_NAME: 'The Morning Post' }));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await database?.close();
});

describe.each([PHONE, DESKTOP])('edition pages in Chromium at %o', (viewport) => {
  it.each([`/editions/${D}`, `/editions/${D}/18-00`, '/editions'])('%s renders under its CSP with nothing refused', async (path) => {
    const page = await browser.newPage({ viewport });
    const refused: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
    });
    try {
      // Story images point at hosts that do not exist: only the server answers.
      await page.route('**/*', (route) => (route.request().url().startsWith(server.url) ? route.continue() : route.abort()));
      const res = await page.goto(server.url + path, { waitUntil: 'load' });
      expect(res?.headers()['content-security-policy']).toContain("default-src 'none'");
      await screenshot(page, `edition-page${path.replace(/\W+/g, '-')}-${viewport.width}`);
      expect(refused).toEqual([]);
      expect(await overflowsHorizontally(page)).toBe(false);
      if (path === '/editions') {
        expect(await page.getByRole('link', { name: '18:00 edition' }).isVisible()).toBe(true);
        return;
      }
      const story = page.getByRole('link', { name: 'Story number', exact: false }).first();
      expect(await story.isVisible()).toBe(true);
      // The reader pages' layout applies: its stylesheet's system font, its bounded column, its way on.
      const font = (await page.evaluate(`getComputedStyle(document.body).fontFamily`)) as string;
      expect(font).toMatch(/^system-ui/);
      const width = (await page.evaluate(`document.querySelector('main').getBoundingClientRect().width`)) as number;
      expect(width).toBeLessThanOrEqual(44 * 16);
      expect(width).toBeGreaterThan(Math.min(44 * 16, viewport.width) - 40);
      const subscribe = page.getByRole('link', { name: 'Subscribe', exact: true });
      expect(await subscribe.isVisible()).toBe(true);
      expect(await subscribe.getAttribute('href')).toBe('/');
      expect(await page.getByRole('link', { name: 'The archive' }).isVisible()).toBe(true);
      // No greeting: the page is nobody's copy.
      expect(await page.textContent('main')).not.toMatch(/Hello/);
      const other = page.getByRole('link', { name: path.endsWith('18-00') ? '06:00 edition' : '18:00 edition' });
      expect(await other.isVisible()).toBe(true);
    } finally {
      await page.close();
    }
  });
});
