import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SUBSCRIBERS } from '../../src/demo/demo-stories.js';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { startDigest, stopChild } from '../helpers/cli.js';

/**
 * The newcomer's evening in Chromium: `digest demo` (the README's "Try it" demo, its in-process
 * workers and built-in catcher) with the clock at 20:06 UTC, the inbox open in one tab, then
 * `digest send` with no flags in another terminal (a second process on the same DATA_DIR). The five
 * digests appear in the open inbox, and the edition's page, opened while it is sent, counts up to
 * 5 sent, both without a reload: the pages update themselves (/assets/live.js asking their JSON
 * twins) under a CSP that allows only our own script.
 *
 * SMTP_RATE=1 on one connection (SMTP_MAX_CONNECTIONS=1: the pacing holds a connection between two
 * messages, so each connection's first message goes at once) stretches the send over about four
 * seconds, so the edition page is opened before the last message goes: with the demo's five readers
 * and the catcher on loopback it would otherwise be over in a blink. The test says so if it was not.
 */
const NOW = '2026-12-07T20:06:00Z';
const EDITION = '2026-12-08 06:00';
const READERS = DEMO_SUBSCRIBERS.map((s) => s.email).sort();

/** Polls `read` every `intervalMs` until `done` holds, at most `timeoutMs`; says what it last read when it gives up. */
async function waitFor<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(value)})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The exit code of a child already running, or null when it has not exited within `timeoutMs` (then killed). */
function exitOf(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('the evening path: digest send beside the demo, watched in open pages', () => {
  const dir = mkdtempSync(join(tmpdir(), 'digest-evening-'));
  const env = { DATA_DIR: dir, NODE_ENV: 'test', DIGEST_TEST_NOW: NOW, SMTP_RATE: '1', SMTP_MAX_CONNECTIONS: '1' };
  let serve: { child: ChildProcess; output: () => string; match: RegExpMatchArray } | undefined;
  let browser: Browser;
  let url: string;
  let token: string;
  /** The edition the first test sent, for the second. */
  let editionId: string | undefined;

  beforeAll(async () => {
    serve = await startDigest(['demo'], { ...env, PORT: '0' }, /listening on\s+(http:\/\/\S+)[\s\S]*health/, { timeoutMs: 120_000 });
    url = serve.match[1]!;
    token = /one-time token: (\S+) /.exec(serve.output())![1]!;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    if (serve) await stopChild(serve.child);
    rmSync(dir, { recursive: true, force: true });
  });

  async function loggedIn(context: BrowserContext, path: string): Promise<Page> {
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(`${url}${path}`);
    await page.getByLabel('Admin token').fill(token);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${url}${path}`);
    return page;
  }

  /** Set in the page; a reload (or any navigation) loses it. */
  const mark = (page: Page) => page.evaluate('window.__stillThisPage = true');
  const stillThisPage = (page: Page) => page.evaluate('window.__stillThisPage === true') as Promise<boolean>;

  it('the five digests appear in the open inbox, and the edition page counts to 5 sent, without a reload', async () => {
    expect(serve!.output()).toMatch(new RegExp(`5 readers loaded for the edition of ${EDITION}`));
    const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    await context.route(/^https?:\/\/(?!localhost|127\.0\.0\.1)/, (route) => route.abort());
    const refusedByCsp: string[] = [];
    context.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) refusedByCsp.push(m.text());
    });
    const progressAsks: number[] = [];
    context.on('request', (r) => {
      if (/\/admin\/editions\/\d+\/progress\.json/.test(r.url())) progressAsks.push(Date.now());
    });

    // 1. The inbox, open before anything is sent.
    const inbox = await loggedIn(context, '/inbox');
    await inbox.getByRole('heading', { name: 'Mail catcher' }).waitFor();
    expect(await inbox.locator('#inbox-rows').textContent()).toContain('No mail yet.');
    expect(await inbox.getByRole('link', { name: 'Refresh' }).isVisible()).toBe(true);
    await expect.poll(() => inbox.locator('[data-live-note]').textContent(), { timeout: 5_000 }).toBe('(updates by itself)');
    await mark(inbox);
    await screenshot(inbox, 'evening-01-inbox-empty');

    // A second tab for the edition, open on the admin already (no time lost opening it later).
    const edition = await context.newPage();
    edition.setDefaultTimeout(20_000);
    await edition.goto(`${url}/admin`);

    // 2. `digest send` in another terminal: no flags, the same DATA_DIR, the same evening; its line
    // saying the deliveries are there is the operator's cue to open the edition.
    const send = await startDigest(['send'], env, new RegExp(`${EDITION}: rendered, 5 deliveries created`), { timeoutMs: 90_000 });
    const sendExit = exitOf(send.child, 90_000);

    // 3. The edition's page, opened at once (the operator following the send).
    const bearer = { headers: { authorization: `Bearer ${token}` } };
    const list = await (await fetch(`${url}/admin/editions?date=2026-12-08`, bearer)).text();
    editionId = new RegExp(`href="/admin/editions/(\\d+)">${EDITION}<`).exec(list)?.[1];
    expect(editionId, 'the edition in the admin').toBeDefined();
    const response = await edition.goto(`${url}/admin/editions/${editionId}`);
    const csp = response!.headers()['content-security-policy']!;
    // Our own script and its requests back here; nothing inline, nothing from elsewhere.
    expect(/script-src ([^;]*)/.exec(csp)?.[1]).toBe("'self'");
    expect(/connect-src ([^;]*)/.exec(csp)?.[1]).toBe("'self'");
    expect(csp).toMatch(/^default-src 'none'/);
    const sentCard = edition.locator('.card', { hasText: /^\s*\d+\s*sent\b/ }).locator('b');
    const waitingCard = edition.locator('.card', { hasText: /^\s*\d+\s*waiting/ }).locator('b');
    const sentAtLoad = Number(await sentCard.textContent());
    expect(sentAtLoad, 'the edition page was opened before the send ended (else this proves nothing)').toBeLessThan(5);
    await mark(edition);
    await screenshot(edition, 'evening-02-edition-sending');

    // 4. Its numbers move to 5 sent, nothing waiting, status sent, in the same page.
    await waitFor(
      '5 sent on the open edition page',
      async () => Number(await sentCard.textContent()),
      (n) => n === 5,
      30_000,
      200,
    );
    await waitFor(
      'nothing waiting on the edition page',
      async () => Number(await waitingCard.textContent()),
      (n) => n === 0,
      10_000,
      200,
    );
    await waitFor(
      'status sent on the edition page',
      () => edition.locator('#edition-head').textContent(),
      (t) => /status sent/.test(t ?? ''),
      10_000,
      200,
    );
    expect(await stillThisPage(edition), 'the edition page was not reloaded').toBe(true);
    expect(await edition.getByRole('button', { name: 'Pause' }).count(), 'no Pause once sent').toBe(0);
    await screenshot(edition, 'evening-03-edition-sent');

    expect(await sendExit, send.output()).toBe(0);

    // Once the edition is sent there is nothing to wait for: the page stops asking.
    const asksWhenSent = progressAsks.length;
    await new Promise((r) => setTimeout(r, 4_500));
    expect(progressAsks.length - asksWhenSent, 'progress asked for after the edition was sent').toBeLessThanOrEqual(1);

    // 5. Back on the inbox tab: the five digests, one per demo reader, with no reload.
    await inbox.bringToFront();
    const rows = inbox.locator('#inbox-rows tr');
    const to = await waitFor(
      'five digests in the open inbox',
      async () => (await rows.locator('td:nth-child(2)').allTextContents()).sort(),
      (list) => list.length === READERS.length,
      30_000,
      200,
    );
    expect(to).toEqual(READERS);
    expect(await inbox.locator('#inbox-count').textContent()).toMatch(/^5 message/);
    expect(await stillThisPage(inbox), 'the inbox was not reloaded').toBe(true);
    // A row opens its message, as any row on a loaded page does.
    await screenshot(inbox, 'evening-04-inbox-five');
    await rows.first().getByRole('link').click();
    await inbox.locator('iframe[title="Message HTML"]').waitFor();

    expect(refusedByCsp).toEqual([]);
    await context.close();
  });

  it('after that send, without JavaScript: both pages offer Refresh; the live JSON is the admin’s only', async () => {
    expect(editionId, 'the first test sent an edition').toBeDefined();
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await loggedIn(context, '/inbox');
    await page.getByRole('link', { name: 'Refresh' }).click();
    await page.waitForURL(`${url}/inbox`);
    expect(await page.locator('#inbox-rows tr').count()).toBe(5);
    expect(await page.locator('[data-live-note]').textContent()).toBe('');
    await page.goto(`${url}/admin/editions/${editionId}`);
    await page.getByRole('link', { name: 'Refresh' }).click();
    await page.waitForURL(`${url}/admin/editions/${editionId}`);
    expect(
      await page
        .locator('.card', { hasText: /^\s*\d+\s*sent\b/ })
        .locator('b')
        .textContent(),
    ).toBe('5');
    await context.close();

    // Authenticated like the pages they serve: no session, no Bearer, nothing.
    for (const path of ['/inbox/live.json', '/admin/editions/1/progress.json']) {
      const res = await fetch(`${url}${path}`, { headers: { accept: 'application/json' } });
      expect(res.status, path).toBe(401);
      expect(await res.text(), path).not.toContain('example.com');
    }
    // With the admin's token: the parts, then 204 while nothing changed.
    const first = await fetch(`${url}/inbox/live.json`, { headers: { authorization: `Bearer ${token}` } });
    expect(first.headers.get('cache-control')).toBe('no-store');
    const view = (await first.json()) as { version: string; live: boolean; parts: Record<string, string> };
    expect(view.parts['inbox-count']).toMatch(/^5 message/);
    const again = await fetch(`${url}/inbox/live.json?v=${encodeURIComponent(view.version)}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(again.status).toBe(204);
  });
});
