import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shiftedClock, silentLogger } from '../../src/config/index.js';
import { startService, type RunningService } from '../../src/main.js';
import { ADMIN_TOKEN, testConfig } from '../helpers/config.js';
import { DESKTOP, launchBrowser, overflowsHorizontally, PHONE, screenshot } from '../helpers/browser.js';
import { createTestDatabase, SERVICE_ENGINE, type TestDatabase } from '../helpers/database.js';

/**
 * The operator's first minutes in Debian's Chromium: log in, read the dashboard, press "Send now"
 * on the demo edition (the clock at 22:34 UTC), find the digest in the catcher's inbox and open it. Screenshots in test/artifacts/.
 */
describe('the admin and the inbox in a real browser', () => {
  let browser: Browser;
  let t: TestDatabase;
  let service: RunningService;
  beforeAll(async () => {
    browser = await launchBrowser();
    t = await createTestDatabase(SERVICE_ENGINE);
    const config = testConfig({ HOST: '127.0.0.1', WORKERS: '1', SITE_NAME: 'The Amman Morning Chronicle' });
    // The README's "Try it" path at 22:34 UTC, when the morning's edition is long past its cutoff.
    service = await startService(config, silentLogger, {
      database: t,
      demo: true,
      clock: shiftedClock(`${new Date().toISOString().slice(0, 10)}T22:34:00Z`),
    });
  });
  afterAll(async () => {
    await browser?.close();
    await service?.close();
    await t?.close();
  });

  async function check(page: Page, name: string): Promise<void> {
    expect(await overflowsHorizontally(page), `${name} overflows sideways`).toBe(false);
    await screenshot(page, name);
  }

  it('walks login → dashboard → send now → inbox → the message, at phone and desktop widths', async () => {
    for (const viewport of [DESKTOP, PHONE]) {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      const w = viewport.width;
      await page.goto(`${service.url}/admin`);
      expect(page.url()).toContain('/admin/login');
      await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL(`${service.url}/admin`);
      await expect.poll(() => page.locator('.card', { hasText: 'active readers' }).first().textContent()).toMatch(/^5\s*active readers/);
      expect(await page.locator('svg[role="img"]').count()).toBe(2);
      await check(page, `admin-dashboard-${w}`);

      await page.getByRole('link', { name: 'Stories' }).click();
      await expect.poll(() => page.getByText('Turkey and Russia discuss reducing tension in Idlib').isVisible()).toBe(true);
      await screenshot(page, `admin-stories-${w}`);

      await page.getByRole('link', { name: 'Editions' }).click();
      if (w === DESKTOP.width) {
        await page.getByRole('button', { name: 'Send now' }).click();
        await expect.poll(() => page.getByRole('status').textContent()).toMatch(/is sending to 5 readers/);
      } else {
        // Sent on the first pass: the edition now stands as sending or sent, with no button to send it twice.
        await expect.poll(() => page.locator('section.card tbody tr').first().textContent()).toMatch(/sending|sent/);
        expect(await page.getByRole('button', { name: 'Send now' }).count()).toBe(0);
      }
      await check(page, `admin-edition-${w}`);

      // The catcher's inbox fills within seconds (bounded poll).
      await expect
        .poll(
          async () => {
            await page.goto(`${service.url}/inbox`);
            return page.locator('tbody tr a').count();
          },
          { timeout: 30_000, interval: 500 },
        )
        .toBeGreaterThanOrEqual(5);
      await check(page, `inbox-${w}`);
      await page.locator('tbody tr a').first().click();
      await expect.poll(() => page.locator('iframe[title="Message HTML"]').count()).toBe(1);
      const frame = page.frameLocator('iframe[title="Message HTML"]');
      // The headline, and its picture (linked to the story too, with the headline as alt text).
      await expect
        .poll(() =>
          frame.getByRole('link', { name: 'Turkey and Russia discuss reducing tension in Idlib', exact: true }).first().isVisible(),
        )
        .toBe(true);
      await expect.poll(() => frame.getByRole('link', { name: 'Unsubscribe' }).isVisible()).toBe(true);
      await screenshot(page, `inbox-message-${w}`);
      await context.close();
    }
  });
});
