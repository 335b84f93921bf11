import { chromium, type Browser, type Page } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser). .ci/run installs it with
 * apt when missing.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-quic',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export const PHONE = { width: 375, height: 740 } as const;
export const DESKTOP = { width: 800, height: 900 } as const;

export const ARTIFACTS = join(process.cwd(), 'test', 'artifacts');

/** Saves a full-page screenshot under test/artifacts/ (git-ignored) and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** True when nothing on the page is wider than the viewport (no horizontal scrolling on a phone). */
export async function overflowsHorizontally(page: Page): Promise<boolean> {
  // Runs in the page; written as a string so the Node typecheck needs no DOM types.
  return page.evaluate('document.documentElement.scrollWidth > window.innerWidth + 1') as Promise<boolean>;
}
