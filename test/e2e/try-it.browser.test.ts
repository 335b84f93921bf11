import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { childEnv } from '../helpers/cli.js';

/**
 * The README's "Try it" section, exactly as written, in Chromium: `npm start` (the real process, as
 * a new user runs it after `npm install`) on a fresh data directory and PORT=0 (any free port),
 * the start-up block it prints read as a user reads it, and its links followed: the mail inbox →
 * the login (with the printed one-time token) → back on the inbox → sign up on the sign-up page →
 * the confirmation email in the inbox → its confirm link → the confirmed page. On the way, the pages
 * match: the archive in the site's style, an HTML 404 for an unknown address (JSON under /api), no
 * favicon 404.
 *
 * The README's steps and this test are kept in step: the test reads the section and checks that
 * the commands and the names of the links it follows are the ones the README gives.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const TRY_IT = README.slice(README.indexOf('## Try it'), README.indexOf('\n## ', README.indexOf('## Try it') + 1));
const READER = 'new.reader@example.com';

/** The start-up block's lines, by their label ("mail inbox" → its URL and the rest of the line). */
function startUpBlock(output: string): Map<string, { url: string; rest: string }> {
  const lines = new Map<string, { url: string; rest: string }>();
  for (const m of output.matchAll(/^ {2}([a-z-]+(?: [a-z-]+)?) {2,}(https?:\/\/\S+)(.*)$/gm)) lines.set(m[1]!, { url: m[2]!, rest: m[3]! });
  return lines;
}

describe('the README "Try it" section, walked in Chromium', () => {
  let dir: string;
  let npm: ChildProcess;
  let output = '';
  let browser: Browser;
  let block: Map<string, { url: string; rest: string }>;
  const favicon404: string[] = [];

  beforeAll(async () => {
    // The README's two commands: `npm install` has run (this suite runs from the installed tree);
    // the first is `npm install && npm start`.
    expect(TRY_IT).toContain('npm install && npm start');
    dir = mkdtempSync(join(tmpdir(), 'digest-try-it-'));
    // Zero configuration, as a fresh clone has: only where to keep the data (a fresh directory, not
    // the checkout's ./data) and PORT=0 instead of 3000: the service picks a free port itself and
    // holds it until it listens (src/main.ts), and the start-up block, the only place this test
    // reads its addresses from, prints it.
    npm = spawn('npm', ['start'], {
      cwd: ROOT,
      env: childEnv({ DATA_DIR: join(dir, 'data'), PORT: '0', LOG_LEVEL: 'warn' }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    npm.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    npm.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start printed no start-up block in time:\n${output}`)), 150_000);
      const check = setInterval(() => {
        if (/^ {2}health {2,}http\S+$/m.test(output)) {
          clearInterval(check);
          clearTimeout(timer);
          resolve();
        }
      }, 100);
      npm.once('exit', (code) => {
        clearInterval(check);
        clearTimeout(timer);
        reject(new Error(`npm start exited with ${code} before it was ready:\n${output}`));
      });
    });
    block = startUpBlock(output);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    if (npm?.pid && npm.exitCode === null) {
      const exited = new Promise((resolve) => npm.once('exit', resolve));
      // npm runs the service as its child: stop the whole group, as Ctrl-C in the terminal does.
      process.kill(-npm.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      if (npm.exitCode === null) process.kill(-npm.pid, 'SIGKILL');
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 800, height: 900 } });
    // Everything here is on this machine; story images and the like would point elsewhere.
    await context.route(/^https?:\/\/(?!localhost|127\.0\.0\.1)/, (route) => route.abort());
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('response', (r: Response) => {
      if (/\/favicon\.(ico|svg)$/.test(new URL(r.url()).pathname) && r.status() >= 400) favicon404.push(`${r.status()} ${r.url()}`);
    });
    return page;
  }

  it('prints the block the README shows, with the links the README names', () => {
    for (const label of ['listening on', 'sign-up page', 'mail inbox', 'admin', 'health']) {
      expect(block.has(label), `"${label}" line in:\n${output}`).toBe(true);
      expect(TRY_IT).toContain(`  ${label} `);
    }
    for (const named of [
      '**mail inbox**',
      '**one-time token**',
      '**sign-up page**',
      '**Subscribe**',
      '**Confirm my subscription**',
      '**Yes, subscribe me**',
    ])
      expect(TRY_IT).toContain(named);
    expect(block.get('admin')!.rest).toMatch(/one-time token: \S+ /);
    expect(output).toMatch(/embedded database in .*digest-try-it-/);
    // A healthy first run warns only that SECRET was generated: no missed-edition warning (edition.before_first is info).
    expect(output).not.toMatch(/edition\.expired|not sent/);
  });

  it('mail inbox → login with the one-time token → back on the inbox → sign up → the confirmation email → confirmed', async () => {
    const inbox = block.get('mail inbox')!.url;
    const signup = block.get('sign-up page')!.url;
    const token = /one-time token: (\S+) /.exec(block.get('admin')!.rest)![1]!;
    const page = await newPage();

    // 1. The inbox link asks for the login, then returns to the inbox.
    await page.goto(inbox);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/inbox');
    await screenshot(page, 'try-it-01-login');
    await page.getByLabel('Admin token').fill(token);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(inbox);
    await page.getByRole('heading', { name: 'Mail catcher' }).waitFor();
    await screenshot(page, 'try-it-02-inbox');

    // 2. The sign-up page.
    await page.goto(signup);
    await page.getByLabel('Email address').fill(READER);
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    await screenshot(page, 'try-it-03-check-inbox');

    // 3. Back in the inbox (the session holds): the confirmation email, opened, its button followed.
    await page.goto(inbox);
    const row = page.getByRole('row').filter({ hasText: READER });
    await expect
      .poll(
        async () => {
          await page.reload();
          return row.count();
        },
        { timeout: 30_000 },
      )
      .toBe(1);
    await row.getByRole('link').click();
    const frame = page.frameLocator('iframe[title="Message HTML"]');
    const confirm = frame.getByRole('link', { name: 'Confirm my subscription' }).first();
    await confirm.waitFor();
    await screenshot(page, 'try-it-04-confirmation-email');
    const href = (await confirm.getAttribute('href'))!;
    expect(href.startsWith(new URL(signup).origin + '/confirm/')).toBe(true);
    const popup = page.waitForEvent('popup', { timeout: 20_000 }).catch(() => undefined);
    const same = page.waitForURL(href, { timeout: 20_000 }).then(
      () => page,
      () => undefined,
    );
    await confirm.click();
    const opened = (await Promise.race([popup, same]))!;
    expect(opened, 'the confirm link opened a page').toBeDefined();
    await opened.getByRole('button', { name: 'Yes, subscribe me' }).click();
    await opened.getByRole('heading', { name: 'You are subscribed' }).waitFor();
    // The next edition's real time, not "the next morning".
    expect(await opened.textContent('main')).toMatch(/next edition, at \d\d:\d\d \(UTC\)/);
    await screenshot(opened, 'try-it-05-confirmed');
    await page.context().close();
  });

  it('the pages on the way match: a styled archive, HTML 404 pages (JSON under /api), no favicon 404', async () => {
    const origin = new URL(block.get('sign-up page')!.url).origin;
    const page = await newPage();

    const archive = await page.goto(`${origin}/editions`);
    expect(archive!.status()).toBe(200);
    const style = (await page.evaluate(`(() => {
      const body = getComputedStyle(document.body), main = getComputedStyle(document.querySelector('main'));
      return { font: body.fontFamily, background: body.backgroundColor, mainWidth: main.maxWidth, header: !!document.querySelector('header.site a[href="/"]') };
    })()`)) as { font: string; background: string; mainWidth: string; header: boolean };
    expect(style.font).toMatch(/^system-ui/);
    expect(style.font).not.toMatch(/^(Times|Arial|serif)/);
    expect(style.background).toBe('rgb(244, 244, 241)'); // the reader pages' background, not white
    expect(style.mainWidth).toBe(`${44 * 16}px`);
    expect(style.header).toBe(true);
    await screenshot(page, 'try-it-06-archive');

    const missing = await page.goto(`${origin}/no-such-page`);
    expect(missing!.status()).toBe(404);
    expect(missing!.headers()['content-type']).toMatch(/^text\/html/);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    expect(await page.getByRole('link', { name: 'archive', exact: true }).count()).toBeGreaterThan(0);
    await screenshot(page, 'try-it-07-not-found');

    const api = await fetch(`${origin}/api/unknown`);
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await api.json()).toMatchObject({ error: 'not_found' });

    // The icon every page links to, and the one browsers guess, both there.
    const icon = (await page.evaluate(`document.querySelector('link[rel=icon]').href`)) as string;
    expect((await fetch(icon)).status).toBe(200);
    expect((await fetch(`${origin}/favicon.ico`)).status).toBe(200);
    expect(favicon404).toEqual([]);
    await page.context().close();
  });
});
