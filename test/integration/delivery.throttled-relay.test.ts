import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { openDelivery } from '../../src/cli/delivery-runtime.js';
import { SendProgress } from '../../src/cli/send-progress.js';
import { silentLogger, systemClock, type Config } from '../../src/config/index.js';
import { createMailer, deliveryCounts, deliveryOverview, workerCount } from '../../src/delivery/index.js';
import { dailySpecs, prepareEdition, runEdition } from '../../src/editions/index.js';
import { buildServer } from '../../src/web/index.js';
import { adminLogin } from '../helpers/admin.js';
import { useCleanup } from '../helpers/cleanup.js';
import { ADMIN_TOKEN, testConfig } from '../helpers/config.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';
import { seedReaders, seedStories, slotMinutesAgo } from '../helpers/delivery.js';
import { capturingLogger } from '../helpers/log.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';

/**
 * A relay that throttles the way Amazon SES does past an account's rate (`454 Throttling failure:
 * Maximum sending rate exceeded`), to one RCPT in ten, against the same send to a relay that takes
 * everything, in the same test: the throttled send paces itself to what the relay accepts instead of
 * going serial, so it ends within 5× the clean one, every reader mailed exactly once. The operator
 * is told: one log line when throttling starts and one when it ends (with the rate reached), and
 * while it lasts `digest status`, the admin's edition page and /healthz (degraded) say so.
 */
const READERS = 5000;
const THROTTLING = '454 Throttling failure: Maximum sending rate exceeded.';
const run = promisify(execFile);

interface CountingRelay {
  readonly url: string;
  /** Recipient → messages the relay took (250 after DATA). */
  readonly received: Map<string, number>;
  throttled: number;
  close(): Promise<void>;
}

/**
 * A real SMTP server on loopback that keeps nothing but a count per recipient (parsing 5,000
 * messages would cost more CPU than the send), and throttles RCPTs as `throttle` says.
 */
async function startCountingRelay(throttle: () => boolean): Promise<CountingRelay> {
  const received = new Map<string, number>();
  const relay: CountingRelay = {
    url: '',
    received,
    throttled: 0,
    close: async () => {},
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    disableReverseLookup: true,
    onRcptTo(_address, _session, cb) {
      if (!throttle()) return cb();
      relay.throttled += 1;
      cb(Object.assign(new Error('Throttling failure: Maximum sending rate exceeded.'), { responseCode: 454 }));
    },
    onData(stream, session, cb) {
      stream.on('data', () => {});
      stream.on('end', () => {
        for (const r of session.envelope.rcptTo) received.set(r.address, (received.get(r.address) ?? 0) + 1);
        cb();
      });
    },
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return Object.assign(relay, {
    url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

describe.each(ENGINES)('a relay that throttles one RCPT in ten, 5,000 readers, on %s', (engine) => {
  let t: TestDatabase | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  // Registered after the database's: runs before it (hooks unwind), so senders close on an open database.
  const cleanup = useCleanup();

  /** A database with READERS readers and an edition due now, ready to send to `relay`. */
  async function editionFor(relay: CountingRelay): Promise<{ config: Config; editionId: number }> {
    t = await createTestDatabase(engine);
    const slot = slotMinutesAgo(5);
    const config = testConfig({ SMTP_URL: relay.url, DIGEST_CRON: slot.cron });
    await seedStories(t.db, slot.sendAt);
    for (let i = 0; i < READERS; i += 2500) await seedReaders(t.db, Math.min(2500, READERS - i), { prefix: `r${i / 2500}-` });
    const { edition } = await prepareEdition({ db: t.db, config, log: silentLogger }, dailySpecs(config, slot.date)[0]!, {
      now: new Date(),
    });
    expect(edition.status).toBe('sending');
    return { config, editionId: edition.id };
  }

  it('ends within 5× the clean send, each reader mailed once; throttling is logged, and shown by digest status, the admin and /healthz', async () => {
    // The clean send: the same list, the same code, a relay that takes everything.
    const cleanRelay = cleanup(await startCountingRelay(() => false));
    const clean = await editionFor(cleanRelay);
    const cleanDelivery = await openDelivery(t!.db, clean.config, silentLogger);
    const cleanEdition = await t!.db.selectFrom('editions').selectAll().where('id', '=', clean.editionId).executeTakeFirstOrThrow();
    let started = performance.now();
    const cleanCounts = await runEdition(cleanDelivery, cleanEdition, { workers: workerCount(engine, clean.config.workers) });
    const cleanMs = performance.now() - started;
    await cleanDelivery.close();
    expect(cleanCounts).toMatchObject({ sent: READERS, failed: 0, retry: 0 });
    expect(cleanRelay.received.size).toBe(READERS);
    await t!.close();
    t = undefined;

    // The throttled send.
    const relay = cleanup(await startCountingRelay(() => Math.random() < 0.1));
    const { config, editionId } = await editionFor(relay);
    const { log, lines } = capturingLogger();
    const delivery = cleanup(await openDelivery(t!.db, config, log));
    // The HTTP side as `digest serve` builds it beside its workers: /healthz and /metrics see their relay watch.
    const mailer = cleanup(createMailer({ url: relay.url, from: config.mailFrom, maxConnections: 1 }));
    const app = await buildServer({
      db: t!.db,
      engine: t!.engine,
      config,
      log: silentLogger,
      clock: systemClock,
      mailer,
      relay: () => delivery.relay.status(),
    });
    cleanup(app);
    const server = { url: await app.listen({ port: 0, host: '127.0.0.1' }) };
    const session = await adminLogin(server.url);
    const health = async () =>
      (await (await fetch(`${server.url}/healthz`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as {
        status: string;
        checks: { smtp: { sending?: string; degraded?: string } };
      };

    // `digest send`'s progress line, as it reads the relay's state (not a terminal: a line every 5 s and one at the end).
    const progressLines: string[] = [];
    const out = { isTTY: false, write: (line: string) => progressLines.push(line) } as unknown as NodeJS.WriteStream;
    const progress = new SendProgress('throttled', READERS, 0, out);
    progress.showThrottle(() => delivery.relay.status().throttle);
    progress.start();

    const edition = await t!.db.selectFrom('editions').selectAll().where('id', '=', editionId).executeTakeFirstOrThrow();
    started = performance.now();
    let late: NodeJS.Timeout | undefined;
    const sending = Promise.race([
      runEdition(delivery, edition, { workers: workerCount(engine, config.workers), onEvent: progress.onEvent }).then((counts) => ({
        counts,
        ms: performance.now() - started,
      })),
      new Promise<never>((_, reject) => {
        late = setTimeout(
          () => reject(new Error(`the throttled send was still running after 5× the clean one (${Math.round(5 * cleanMs)} ms)`)),
          5 * cleanMs,
        );
      }),
    ]).finally(() => clearTimeout(late));
    // While it is being sent, the admin's edition page says the relay is throttling it.
    let adminSaw: string | undefined;
    for (let i = 0; i < 100 && !adminSaw; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const page = await (await fetch(`${server.url}/admin/editions/${editionId}`, { headers: { cookie: session.cookie } })).text();
      adminSaw = /<div class="flash" role="status" id="throttled">[\s\S]*?<\/div>/.exec(page)?.[0];
      if (!adminSaw && /status <b>sent<\/b>/.test(page)) break;
    }
    const { counts, ms } = await sending;
    progress.finish(counts);

    // Exactly once: every reader one message, every delivery sent on its first attempt.
    expect(counts).toMatchObject({ sent: READERS, failed: 0, retry: 0, queued: 0, sending: 0 });
    expect(relay.received.size).toBe(READERS);
    expect([...relay.received.values()].every((n) => n === 1)).toBe(true);
    expect(relay.throttled).toBeGreaterThan(READERS / 20);
    const rows = await t!.db.selectFrom('deliveries').select(['status', 'attempts']).where('edition_id', '=', editionId).execute();
    expect(rows.every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);

    console.info(
      `${engine}: clean ${(cleanMs / 1000).toFixed(1)} s, throttled ${(ms / 1000).toFixed(1)} s (${(ms / cleanMs).toFixed(2)}×), ${relay.throttled} RCPTs throttled`,
    );
    expect(ms, `throttled ${Math.round(ms)} ms against clean ${Math.round(cleanMs)} ms`).toBeLessThanOrEqual(5 * cleanMs);

    // Logged once when it started, with the reply.
    const throttledLines = lines.filter((l) => l.event === 'delivery.throttled');
    expect(throttledLines).toHaveLength(1);
    expect(throttledLines[0]).toMatchObject({ level: 40, reply: THROTTLING });
    expect(lines.filter((l) => l.event === 'delivery.throttle_ended')).toEqual([]);

    expect(progressLines.at(-1)).toMatch(/sent 5000\/5000 .* throttled by the relay: paced to [\d.]+ msg\/s, \d+ put back\n$/);

    expect(adminSaw, 'the admin edition page while sending').toMatch(/The relay is throttling this send/);
    expect(adminSaw).toContain(THROTTLING);

    // The send is over but this process is still throttled (no quiet minute yet): every entry point says so.
    const overview = await deliveryOverview(t!.db);
    expect(overview.relayThrottles).toHaveLength(1);
    expect(overview.relayThrottles[0]).toMatchObject({ reason: THROTTLING });
    expect(overview.relayThrottles[0]!.refused).toBeGreaterThan(0);
    expect(overview.relayThrottles[0]!.rate).toBeGreaterThan(0);
    const h = await health();
    expect(h.status).toBe('degraded');
    expect(h.checks.smtp).toMatchObject({ ok: true, sending: 'throttled' });
    expect(h.checks.smtp.degraded).toContain(THROTTLING);
    const metrics = parsePrometheus(
      await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text(),
    );
    expect(sampleValue(metrics, 'digest_smtp_throttled')).toBe(1);
    expect(sampleValue(metrics, 'digest_smtp_paced_rate')).toBeGreaterThan(0);
    const anonymous = await (await fetch(`${server.url}/healthz`)).json();
    expect(anonymous).toMatchObject({ status: 'degraded', checks: { smtp: { ok: true } } });
    expect(JSON.stringify(anonymous)).not.toContain('Throttling');
    if (t!.url) {
      // `digest status` as an operator runs it, from another process.
      const dataDir = mkdtempSync(join(tmpdir(), 'digest-throttled-'));
      cleanup({ close: () => rmSync(dataDir, { recursive: true, force: true }) });
      const env = { ...process.env, DATABASE_URL: t!.url, SECRET: 'test-secret-0123456789abcdef', DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
      const status = await run(process.execPath, ['bin/digest.js', 'status'], { env, timeout: 60_000 });
      expect(status.stdout).toMatch(
        /^relay throttling: \S+ pacing at [\d.]+ msg\/s \(lowest [\d.]+\) since \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC, \d+ messages? refused for its rate and sent again \(last reply: 454 Throttling failure: Maximum sending rate exceeded\.\)$/m,
      );
      const json = JSON.parse((await run(process.execPath, ['bin/digest.js', 'status', '--json'], { env, timeout: 60_000 })).stdout);
      expect(json.relayThrottles).toHaveLength(1);
    }

    // The sender stops: throttling ends for this process, logged once with the rate reached, and no entry point shows it any more.
    await delivery.close();
    const ended = lines.filter((l) => l.event === 'delivery.throttle_ended') as { why?: string; refused?: number; rate?: number }[];
    expect(ended).toHaveLength(1);
    expect(ended[0]!.why).toBe('closed');
    // The row is refreshed every 2 s: the log's count, at the end, is at least what it last said.
    expect(ended[0]!.refused).toBeGreaterThanOrEqual(overview.relayThrottles[0]!.refused);
    expect(ended[0]!.rate).toBeGreaterThan(0);
    expect((await deliveryOverview(t!.db)).relayThrottles).toEqual([]);
    expect((await health()).status).toBe('ok');
    const after = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    expect(sampleValue(parsePrometheus(after), 'digest_smtp_throttled')).toBe(0);
    expect(await deliveryCounts(t!.db, editionId)).toMatchObject({ sent: READERS });
  }, 240_000);
});
