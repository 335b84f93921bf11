import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDigest, startDigest, stopChild } from '../helpers/cli.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const feed = (name: string) => new URL(`../fixtures/feeds/${name}`, import.meta.url).pathname;
const readers = (name: string) => new URL(`../fixtures/subscribers/${name}`, import.meta.url).pathname;
const SECRET = 'beside-serve-secret-0123456789';
// news.rss holds the stories of 2019-05-16 in Amman; that edition is long past, so `send --late`.
const DATE = '2019-05-16';

/**
 * The embedded default, as a user tries it: `digest serve` holds DATA_DIR, and the CLI commands of the
 * README run beside it on the same database (through the socket serve keeps in DATA_DIR), then on their
 * own once it has stopped.
 */
describe('CLI commands beside a running digest serve on the embedded database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'digest-beside-'));
  let sink: SmtpSink | undefined;
  afterAll(async () => {
    await sink?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('status, stories import, subscribers import/export, top, preview and send work while serve runs, and after it stops', async () => {
    sink = await startSmtpSink();
    const env = { DATA_DIR: dir, SECRET, SMTP_URL: sink.url, DIGEST_TZ: 'Asia/Amman' };
    const digest = (...args: string[]) => runDigest(args, env, { timeoutMs: 90_000 });

    // Before anything: no database yet, and status says so instead of creating one.
    const fresh = await digest('status');
    expect(fresh.code).toBe(1);
    expect(fresh.stderr).toMatch(/DATA_DIR .* holds no database yet/);
    expect(fresh.stderr).toMatch(/digest migrate/);
    expect(existsSync(join(dir, 'pgdata'))).toBe(false);

    const serve = await startDigest(['serve'], { ...env, PORT: '0' }, /listening on\s+(http:\/\/\S+)/, { timeoutMs: 90_000 });
    try {
      expect(existsSync(join(dir, '.s.PGSQL.5432'))).toBe(true);

      const status = await digest('status');
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/migrations: up to date \(\d+ applied\)/);
      expect(status.stdout).toMatch(/through the running digest serve/);

      const stories = await digest('stories', 'import', feed('news.rss'));
      expect(stories.stdout, stories.stderr).toContain('3 new, 0 updated, 1 rejected');
      expect(stories.code).toBe(1); // the rejected item, reported by position
      const blogs = await digest('stories', 'import', feed('blogs.atom'), '--kind', 'blog');
      expect(blogs.code, blogs.stderr).toBe(0);

      const imported = await digest('subscribers', 'import', readers('mailchimp-export.csv'));
      expect(imported.code, imported.stderr).toBe(0);
      const exported = await digest('subscribers', 'export');
      expect(exported.code, exported.stderr).toBe(0);
      const emails = exported.stdout.split('\r\n').slice(1).filter(Boolean);
      expect(emails.length).toBeGreaterThan(0);

      const top = await digest('top', '--date', DATE, '--json');
      expect(top.code, top.stderr).toBe(0);
      expect((JSON.parse(top.stdout) as { stories: unknown[] }).stories.length).toBeGreaterThan(0);

      const preview = await digest('preview', '--date', DATE);
      expect(preview.code, preview.stderr).toBe(0);
      expect(preview.stdout).toContain('Idlib');

      const dry = await digest('send', '--date', DATE, '--late', '--dry-run');
      expect(dry.code, dry.stderr).toBe(0);
      expect(sink.messages).toHaveLength(0);

      // The real send, while serve's own worker may claim the same deliveries: each reader gets one message.
      const sent = await digest('send', '--date', DATE, '--late');
      expect(sent.code, sent.stdout + sent.stderr).toBe(0);
      const recipients = sink.messages.map((m) => m.to[0]);
      expect(new Set(recipients).size).toBe(recipients.length);
      expect(recipients.length).toBeGreaterThan(0);
      const again = await digest('send', '--date', DATE, '--late');
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/already sent/);
      expect(sink.messages).toHaveLength(recipients.length);

      // serve is still healthy after all of it.
      expect((await fetch(`${serve.match[1]}/healthz`)).status).toBe(200);
    } finally {
      expect(await stopChild(serve.child)).toBe(0);
    }
    expect(existsSync(join(dir, '.s.PGSQL.5432'))).toBe(false);

    // Without a server the command opens DATA_DIR itself.
    const after = await digest('status');
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toMatch(new RegExp(`${DATE}\\s+\\S+\\s+daily\\s+sent`));
    expect(after.stdout).not.toMatch(/through the running/);
  }, 240_000);

  it('a second serve on the same DATA_DIR is still refused', async () => {
    const other = mkdtempSync(join(tmpdir(), 'digest-beside-'));
    const serve = await startDigest(['serve'], { DATA_DIR: other, PORT: '0', SECRET }, /listening on\s+(http:\/\/\S+)/, {
      timeoutMs: 90_000,
    });
    try {
      const second = await runDigest(['serve'], { DATA_DIR: other, PORT: '0', SECRET }, { timeoutMs: 60_000 });
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/^digest: DATA_DIR .*: the embedded database is open in another process \(pid \d+: digest serve\)/);
    } finally {
      expect(await stopChild(serve.child)).toBe(0);
      rmSync(other, { recursive: true, force: true });
    }
  }, 180_000);
});
