import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/config/index.js';
import { deliveryCounts } from '../../src/delivery/index.js';
import { dailySpecs, prepareEdition } from '../../src/editions/index.js';
import { runDigest } from '../helpers/cli.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { seedReaders, seedStories, slotMinutesAgo } from '../helpers/delivery.js';
import { reservePort } from '../helpers/ports.js';
import { sendEnv, spawnDigest, until, withTimeout } from '../helpers/send-process.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

/**
 * A relay that cannot be used: `digest send` says so in one line naming SMTP_URL (never its password)
 * and exits 1 before claiming anything; a relay that dies mid-send pauses the send, which resumes by
 * itself once the relay is back on its port.
 */
describe('a dead relay (postgres, a real `digest send`)', () => {
  let t: TestDatabase | undefined;
  let dataDir: string | undefined;
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) await c().catch(() => undefined);
    await t?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    t = dataDir = undefined;
  });

  async function setup(readers: number) {
    t = await createTestDatabase('postgres');
    const slot = slotMinutesAgo(5);
    await seedStories(t.db, slot.sendAt);
    await seedReaders(t.db, readers);
    dataDir = mkdtempSync(join(tmpdir(), 'digest-relay-'));
    return { db: t.db, slot, url: t.url!, dataDir };
  }

  async function spent(db: TestDatabase['db']): Promise<number> {
    const r = await sql<{ n: number }>`SELECT coalesce(sum(attempts), 0)::int AS n FROM deliveries`.execute(db);
    return Number(r.rows[0]!.n);
  }

  /** stderr's lines, without the blank ones. */
  const lines = (s: string) => s.split('\n').filter((l) => l.trim() !== '');

  it.each([
    ['the pipelining client', {}],
    ['nodemailer (SMTP_RATE set)', { SMTP_RATE: '500' }],
  ])(
    'nothing listening on SMTP_URL, through %s: one line naming it (password hidden) and what failed, exit 1, 0 attempts spent',
    async (_path, extra) => {
      const { db, slot, url, dataDir } = await setup(3);
      // Reserved (helpers/ports.ts): nothing listens there (ECONNREFUSED), and no other process can start to.
      const { port, release } = await reservePort();
      closers.push(release);
      const smtpUrl = `smtp://mailer:s3cret-pw@127.0.0.1:${port}`;
      // An edition already being sent, its deliveries waiting: the dead relay must not cost them anything.
      const config = testConfig({ SMTP_URL: smtpUrl, DIGEST_CRON: slot.cron });
      const prepared = await prepareEdition({ db, config, log: silentLogger }, dailySpecs(config, slot.date)[0]!, { now: new Date() });
      expect(prepared.outcome).toBe('created');
      const r = await runDigest(['send', '--date', slot.date], sendEnv({ databaseUrl: url, smtpUrl, dataDir, cron: slot.cron }, extra));
      expect(r.code, r.stderr).toBe(1);
      expect(await db.selectFrom('deliveries').select(['status', 'attempts']).execute()).toEqual(
        Array.from({ length: 3 }, () => ({ status: 'queued', attempts: 0 })),
      );
      expect(lines(r.stderr), r.stderr).toEqual([
        `digest: SMTP_URL smtp://mailer:***@127.0.0.1:${port}: cannot connect: connect ECONNREFUSED 127.0.0.1:${port}`,
      ]);
      expect(r.stdout + r.stderr).not.toContain('s3cret-pw');
      expect(await spent(db)).toBe(0);
    },
  );

  it('digest worker with nothing on SMTP_URL: the same one line and exit 1, before it claims anything', async () => {
    const { db, slot, url, dataDir } = await setup(2);
    // Reserved (helpers/ports.ts): nothing listens there (ECONNREFUSED), and no other process can start to.
    const { port, release } = await reservePort();
    closers.push(release);
    const config = testConfig({ SMTP_URL: `smtp://127.0.0.1:${port}`, DIGEST_CRON: slot.cron });
    expect((await prepareEdition({ db, config, log: silentLogger }, dailySpecs(config, slot.date)[0]!, { now: new Date() })).outcome).toBe(
      'created',
    );
    const r = await runDigest(['worker'], sendEnv({ databaseUrl: url, smtpUrl: `smtp://127.0.0.1:${port}`, dataDir, cron: slot.cron }));
    expect(r.code, r.stderr).toBe(1);
    expect(lines(r.stderr), r.stderr).toEqual([
      `digest: SMTP_URL smtp://127.0.0.1:${port}: cannot connect: connect ECONNREFUSED 127.0.0.1:${port}`,
    ]);
    expect(await db.selectFrom('deliveries').select(['status', 'attempts']).execute()).toEqual([
      { status: 'queued', attempts: 0 },
      { status: 'queued', attempts: 0 },
    ]);
  });

  it('AUTH refused by the relay: one line saying so, exit 1, 0 attempts spent', async () => {
    const { db, slot, url, dataDir } = await setup(2);
    const server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      logger: false,
      disableReverseLookup: true,
      onAuth(_auth, _session, cb) {
        cb(Object.assign(new Error('5.7.8 authentication credentials invalid'), { responseCode: 535 }));
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.server.address() as AddressInfo).port;
    const r = await runDigest(
      ['send', '--date', slot.date],
      sendEnv({ databaseUrl: url, smtpUrl: `smtp://mailer:wrong-pw@127.0.0.1:${port}`, dataDir, cron: slot.cron }),
    );
    expect(r.code, r.stderr).toBe(1);
    const out = lines(r.stderr);
    expect(out, r.stderr).toHaveLength(1);
    expect(out[0]).toMatch(
      new RegExp(`^digest: SMTP_URL smtp://mailer:\\*\\*\\*@127\\.0\\.0\\.1:${port}: AUTH refused: 535 .*credentials invalid`),
    );
    expect(r.stdout + r.stderr).not.toContain('wrong-pw');
    expect(await spent(db)).toBe(0);
  });

  it('a relay that dies mid-send pauses the send (attempts not burned) and it resumes once the relay is back: 0 missed', async () => {
    const READERS = 300;
    const { db, slot, url, dataDir } = await setup(READERS);
    // The relay's port, reserved (helpers/ports.ts) and listened on over the reservation: once the
    // relay is killed it refuses connections, as a dead relay's does, and no other process can take
    // it before the relay comes back.
    const reserved = await reservePort();
    closers.push(reserved.release);
    const port = reserved.port;
    let first: SmtpSink | undefined = await startSmtpSink({ port, latencyMs: 3 });
    closers.push(async () => first?.close());
    const send = spawnDigest(
      ['send', '--date', slot.date],
      sendEnv(
        { databaseUrl: url, smtpUrl: first.url, dataDir, cron: slot.cron },
        {
          SMTP_MAX_CONNECTIONS: '2',
          WORKERS: '2',
          DELIVERY_BATCH: '20',
          RETRY_BASE_SECONDS: '1',
          RETRY_MAX_ATTEMPTS: '4',
        },
      ),
    );
    closers.push(async () => void (send.exitCode === null && send.kill('SIGKILL')));
    await until('the send to get going', () => first!.messages.length >= 60 || send.exitCode !== null, 60_000);
    expect(send.exitCode, send.output()).toBeNull();
    await first.kill();
    const gotBefore = first.messages.slice();
    first = undefined;
    await until('the send to say it paused', () => /sending paused/.test(send.output()) || send.exitCode !== null, 30_000);
    expect(send.exitCode, send.output()).toBeNull();
    // Paused while the relay is away: not every delivery's attempts spent on it.
    await new Promise((r) => setTimeout(r, 2000));
    const retrying = await db.selectFrom('deliveries').select('id').where('status', 'in', ['retry', 'failed']).execute();
    expect(retrying.length, 'only the messages in flight when it died were tried').toBeLessThanOrEqual(2 * 2 * 2 + 5);
    expect(await db.selectFrom('deliveries').select('id').where('status', '=', 'failed').execute()).toEqual([]);

    // The relay comes back on its port: the probe finds it and the send finishes by itself.
    const second = await startSmtpSink({ port, latencyMs: 3 });
    closers.push(() => second.close());
    const code = await withTimeout(send.exited, 120_000, 'digest send after the relay came back');
    expect(code, send.output()).toBe(0);
    expect(send.output()).toMatch(/relay answers again: sending resumed/);
    const received = new Map<string, number>();
    for (const m of [...gotBefore, ...second.messages]) received.set(m.to[0]!, (received.get(m.to[0]!) ?? 0) + 1);
    expect(received.size, 'every reader got the edition').toBe(READERS);
    const edition = await db.selectFrom('editions').selectAll().executeTakeFirstOrThrow();
    expect(edition.status).toBe('sent');
    expect(await deliveryCounts(db, edition.id)).toMatchObject({ sent: READERS, failed: 0, retry: 0, queued: 0, sending: 0 });
    const extra = [...received.values()].reduce((a, n) => a + n - 1, 0);
    console.info(
      `relay killed after ${gotBefore.length} messages; ${second.messages.length} after it came back; ${extra} duplicate(s) (cut after DATA)`,
    );
  });
});
