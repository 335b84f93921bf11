import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MailStore } from '../../src/catcher/index.js';
import { runDigest, startDigest, stopChild } from '../helpers/cli.js';
import { inboxMessages } from '../helpers/catcher-inbox.js';
import { ADMIN_TOKEN } from '../helpers/config.js';

const AUTH = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };

/**
 * The built-in catcher's inbox shows what is in DATA_DIR/catcher, whoever put it there: `digest send`
 * in another terminal runs a catcher of its own on the same directory, and the running server's
 * /inbox must show its mail without a restart.
 */
describe('the inbox of a running digest serve shows mail another process caught', () => {
  const dir = mkdtempSync(join(tmpdir(), 'digest-inbox-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('digest send beside digest serve --demo: its five messages are in /inbox at once, and open', async () => {
    // The newcomer's evening: the demo's edition is tomorrow's. WORKERS=0: serve sends nothing itself,
    // so every message is caught by the send's own catcher, in the other process.
    const env = { DATA_DIR: dir, ADMIN_TOKEN, NODE_ENV: 'test', DIGEST_TEST_NOW: '2026-12-07T20:06:00Z' };
    const serve = await startDigest(
      ['serve', '--demo'],
      { ...env, PORT: '0', WORKERS: '0' },
      /listening on\s+(http:\/\/\S+)[\s\S]*health/,
      {
        timeoutMs: 120_000,
      },
    );
    try {
      const url = serve.match[1]!;
      expect(serve.output()).toMatch(/5 readers loaded for the edition of 2026-12-08 06:00/);
      expect(await (await fetch(`${url}/inbox`, AUTH)).text()).toMatch(/>No messages(<\/span>)? caught on /);

      const sent = await runDigest(['send'], env, { timeoutMs: 120_000 });
      expect(sent.code, sent.stdout + sent.stderr).toBe(0);
      expect(sent.stdout).toContain('2026-12-08 06:00: 5 sent, 0 failed');
      expect(readdirSync(join(dir, 'catcher')).filter((f) => f.endsWith('.eml'))).toHaveLength(5);

      const page = await (await fetch(`${url}/inbox`, AUTH)).text();
      expect(page).toMatch(/>5 messages(<\/span>)? caught on /);
      expect(page).not.toContain('No mail yet');
      const list = await inboxMessages(url);
      expect(list).toHaveLength(5);
      expect(new Set(list.map((m) => m.to[0])).size).toBe(5);
      const one = await fetch(`${url}/inbox/${list[0]!.id}`, AUTH);
      expect(one.status).toBe(200);
      expect(await one.text()).toContain(`to ${list[0]!.to[0]}`);

      // Emptied from the server, gone for every process's view; the files too.
      const cleared = await fetch(`${url}/inbox/clear`, { method: 'POST', redirect: 'manual', ...AUTH });
      expect(cleared.status).toBe(303);
      expect(await inboxMessages(url)).toEqual([]);
      expect(readdirSync(join(dir, 'catcher')).filter((f) => f.endsWith('.eml'))).toEqual([]);
    } finally {
      expect(await stopChild(serve.child)).toBe(0);
    }
  }, 300_000);
});

describe('two catchers on one directory (MailStore)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'digest-store-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('each lists, opens and clears what the other caught; a summary still being written shows once complete', () => {
    const server = new MailStore(dir);
    const cli = new MailStore(dir);
    expect(server.count).toBe(0);

    const m = cli.add(Buffer.from('Subject: hello\r\n\r\nbody\r\n'), { from: 'd@localhost', to: ['r@example.com'], subject: 'hello' });
    expect(server.list().map((s) => s.id)).toEqual([m.id]);
    expect(server.raw(m.id)?.toString()).toContain('body');

    // A summary half-written (a crash, or another writer mid-way): skipped, then read once whole,
    // though the directory's mtime did not move again.
    const partial = join(dir, '0zzzzzzzz-abcdef12.json');
    writeFileSync(join(dir, '0zzzzzzzz-abcdef12.eml'), 'Subject: later\r\n\r\nx\r\n');
    writeFileSync(partial, '{"id":"0zzzzzzzz-abc');
    expect(server.count).toBe(1);
    writeFileSync(
      partial,
      JSON.stringify({
        id: '0zzzzzzzz-abcdef12',
        receivedAt: new Date().toISOString(),
        from: '',
        to: ['x@example.com'],
        subject: 'later',
        size: 18,
      }),
    );
    expect(server.list().map((s) => s.subject)).toEqual(['later', 'hello']);

    server.clear();
    expect(cli.count).toBe(0);
    expect(cli.raw(m.id)).toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
  });
});
