import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { seedReaders, seedStories, slotMinutesAgo } from '../helpers/delivery.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const run = promisify(execFile);

describe('digest send and digest status (postgres)', () => {
  let t: TestDatabase | undefined;
  let sink: SmtpSink | undefined;
  let dataDir: string | undefined;
  afterEach(async () => {
    await sink?.close();
    await t?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    t = sink = dataDir = undefined;
  });

  it('dry-runs without writing, sends with a progress line, sends nothing the second time, and reports status', async () => {
    t = await createTestDatabase('postgres');
    sink = await startSmtpSink();
    dataDir = mkdtempSync(join(tmpdir(), 'digest-cli-'));
    const slot = slotMinutesAgo(5);
    await seedStories(t.db, slot.sendAt);
    await seedReaders(t.db, 12);
    const env = {
      ...process.env,
      DATABASE_URL: t.url!,
      SMTP_URL: sink.url,
      SECRET: 'test-secret-0123456789abcdef',
      DATA_DIR: dataDir,
      DIGEST_CRON: slot.cron,
      LOG_LEVEL: 'warn',
    };
    const digest = (...args: string[]) => run(process.execPath, ['bin/digest.js', ...args], { env, timeout: 60_000 });

    const dry = await digest('send', '--dry-run', '--date', slot.date);
    expect(dry.stdout).toMatch(/2 stories, 1 blog post, 12 readers would get it \(dry run/);
    expect(await t.db.selectFrom('editions').selectAll().execute()).toEqual([]);
    expect(sink.messages).toHaveLength(0);

    const first = await digest('send', '--date', slot.date);
    expect(first.stdout).toMatch(/rendered, 12 deliveries created/);
    expect(first.stdout).toMatch(/12 sent, 0 failed, 0 skipped, 0 retrying, 0 waiting/);
    expect(first.stderr).toMatch(/sent 12\/12/); // the non-TTY progress line
    expect(sink.messages).toHaveLength(12);

    const second = await digest('send', '--date', slot.date);
    expect(second.stdout).toMatch(/already sent; nothing new to send \(12 sent earlier\)/);
    expect(sink.messages).toHaveLength(12);

    const status = await digest('status');
    expect(status.stdout).toMatch(new RegExp(`${slot.date}\\s+\\S+\\s+daily\\s+sent\\s+0\\s+0\\s+12\\s+0\\s+0\\s+0\\s+0`));
    expect(status.stdout).toMatch(/retry queue: 0/);
    expect(status.stdout).toMatch(/oldest lease: none/);
  });
});
