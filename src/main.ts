import { createServer, type AddressInfo } from 'node:net';
import cron, { type ScheduledTask } from 'node-cron';
import { openMailDestination, type MailCatcher } from './catcher/index.js';
import { systemClock, type Clock, type Config, type Logger } from './config/index.js';
import { migrate, openDatabase, serveDatabaseSocket, type OpenDatabase } from './db/index.js';
import { seedDemo, type DemoSeed } from './demo/index.js';
import {
  createMailer,
  createSender,
  DeliveryWorker,
  digestMessageSource,
  EditionWatch,
  RelayWatch,
  smtpOptions,
  startBounceInbox,
  ThrottleRecorder,
  workerCount,
} from './delivery/index.js';
import { Scheduler } from './scheduler/index.js';
import { checkRenderSettings } from './render/index.js';
import { pollFeeds } from './stories/index.js';
import { buildServer } from './web/index.js';

export interface RunningService {
  /** Where the HTTP server listens, e.g. http://127.0.0.1:3000 */
  readonly url: string;
  readonly database: OpenDatabase;
  /** The settings in force (PORT=0 resolved to the port chosen). */
  readonly config: Config;
  /** The built-in catcher when SMTP_URL is unset. */
  readonly catcher: MailCatcher | undefined;
  /** Where mail goes: SMTP_URL, or the catcher's loopback address. */
  readonly smtpUrl: string;
  /** Demo mode: what was loaded, and into which edition. */
  readonly demo: DemoSeed | undefined;
  close(): Promise<void>;
}

/**
 * The composition root of `digest serve`: the only place (with the CLI) that constructs clients.
 * Migrates, serves HTTP, and runs the schedules.
 */
export async function startService(
  given: Config,
  log: Logger,
  options: { database?: OpenDatabase; demo?: boolean; clock?: Clock } = {},
): Promise<RunningService> {
  const clock = options.clock ?? systemClock;
  checkRenderSettings(given);
  const { config, release: releasePort } = await withConcretePort(given);
  const database = options.database ?? (await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, command: 'serve' }));
  const applied = await migrate(database.db);
  if (applied.length > 0) log.info({ event: 'db.migrated', applied }, `applied ${applied.length} migration(s)`);
  // The embedded database is this process's alone (DATA_DIR lock); the CLI reaches it through this
  // socket in DATA_DIR while the server runs (db/database-socket.ts).
  const dbSocket =
    database.session && !options.database && !config.dataDir.startsWith('memory:')
      ? await serveDatabaseSocket(database.session, config.dataDir, { holdSeconds: config.dbSocket.holdSeconds, log })
      : undefined;
  if (database.session && !options.database && !config.dataDir.startsWith('memory:') && !dbSocket) {
    log.warn(
      { event: 'db.socket_unavailable', dataDir: config.dataDir },
      'DATA_DIR path is too long for a unix socket: CLI commands cannot run beside this server',
    );
  }

  // No SMTP_URL: mail goes to the built-in catcher on loopback, shown at /inbox, never relayed.
  const { smtpUrl, catcher } = await openMailDestination(config, log);
  const mailer = createMailer(smtpOptions(config, smtpUrl));
  // FEED_URLS are polled on FEED_CRON, and once more right before an edition is prepared.
  const poll =
    config.feeds.urls.length > 0
      ? () =>
          pollFeeds(database.db, config.feeds.urls, log, {
            sourceOverride: config.stories.sourceOverride,
            fetch: { allowPrivate: config.feeds.allowPrivate },
          }).then(() => undefined)
      : undefined;
  const scheduler = new Scheduler({ db: database.db, engine: database.engine, config, log, pollFeeds: poll, clock });
  // The morning send's Sender (see below), built here so /healthz (smtp.sending) and /metrics can
  // show what its workers see of the relay.
  const sender = createSender(smtpOptions(config, smtpUrl));
  const relay = new RelayWatch(sender, { url: smtpUrl, log });
  // The relay's throttling of this process's workers, for `digest status`, the admin and /healthz.
  const throttles = new ThrottleRecorder(database.db, relay, log);
  const healthChecks = {
    // The scheduler ticks every minute: silent for five, or failing, is unhealthy.
    scheduler: async () => {
      const st = scheduler.status();
      const fresh = st.lastTickAt !== null && clock().getTime() - st.lastTickAt.getTime() < 5 * 60_000;
      return {
        ok: st.running && fresh && st.lastTickOk,
        leader: st.leader,
        lastTickAt: st.lastTickAt,
        ...(st.error ? { error: st.error } : {}),
      };
    },
  };
  const app = await buildServer({
    // Requests answer 503 rather than wait while a client of DATA_DIR's socket holds the database.
    db: database.requestDb,
    engine: database.engine,
    config,
    log,
    clock,
    mailer,
    catcher,
    demo: options.demo ?? false,
    healthChecks,
    relay: () => relay.status(),
  });
  await releasePort();
  const address = await app.listen({ port: config.port, host: config.host });
  const url = address.replace('[::1]', 'localhost');

  const tasks: ScheduledTask[] = [];
  if (poll) {
    tasks.push(cron.schedule(config.feeds.cron, poll, { timezone: config.digest.timeZone, name: 'feeds', noOverlap: true }));
    void poll();
  }

  // The morning send: the scheduler creates editions (one instance at a time), and this process's
  // workers (WORKERS, at most one on PGlite: delivery/worker-count.ts) send any edition being sent. Bulk mail has
  // its own Sender, shared, so SMTP_RATE holds across all of them.
  const deliveryDeps = {
    db: database.db,
    config,
    log,
    clock,
    sender,
    relay,
    // One reading of which editions are paused, shared by the process's workers.
    editions: new EditionWatch(database.db),
    messages: digestMessageSource(database.db, config),
  };
  const workers = Array.from(
    { length: workerCount(database.engine, config.workers) },
    (_, i) => new DeliveryWorker(deliveryDeps, { name: `serve-${i + 1}` }),
  );
  for (const w of workers) void w.start();
  // The demo's stories go in before the scheduler's first tick, which would otherwise find the
  // edition empty at its send time and close it for good.
  const demo = options.demo ? await seedDemo(database.db, config, clock()) : undefined;
  scheduler.start();
  // DSNs for the VERP addresses, when BOUNCE_ADDRESS's MX points here (SMTP_INBOUND_PORT).
  const bounceInbox =
    config.delivery.bounceAddress && config.delivery.inboundPort !== undefined
      ? await startBounceInbox({
          db: database.db,
          log,
          bounceAddress: config.delivery.bounceAddress,
          port: config.delivery.inboundPort,
          host: config.host,
        })
      : undefined;

  let closing: Promise<void> | undefined;
  return {
    url,
    database,
    config,
    catcher,
    smtpUrl,
    demo,
    close() {
      closing ??= (async () => {
        // First, so that a CLI connection holding the session gives it back (rolled back) and nothing below waits on it.
        await dbSocket?.close();
        for (const t of tasks) await t.destroy();
        await scheduler.stop();
        await bounceInbox?.close();
        // Stop claiming; messages in the SMTP conversation finish, the rest are released (bounded).
        await Promise.all(workers.map((w) => w.stop(10_000)));
        relay.close();
        await sender.close();
        await throttles.close();
        await app.close();
        mailer.close();
        await catcher?.close();
        if (!options.database) await database.close();
      })();
      return closing;
    },
  };
}

/**
 * PORT=0 asks for any free port; links in emails and the start-up block need the real one, so it is
 * chosen before anything is built (and PUBLIC_URL follows it when it was derived from PORT). The
 * probe keeps holding the port until `release()`, right before the server listens on it: released
 * at once, the port stood free through the migrations and the build, and another process (a
 * parallel test, another service) could take it in those seconds (EADDRINUSE).
 */
async function withConcretePort(config: Config): Promise<{ config: Config; release: () => Promise<void> }> {
  if (config.port !== 0) return { config, release: async () => {} };
  // unref: a start-up that fails before release() must not be kept alive by the probe.
  const probe = createServer().unref();
  const port = await new Promise<number>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, config.host, () => resolve((probe.address() as AddressInfo).port));
  });
  let released: Promise<void> | undefined;
  const release = () => (released ??= new Promise<void>((resolve) => probe.close(() => resolve())));
  const derived = config.publicUrl === 'http://localhost:0';
  return { config: Object.freeze({ ...config, port, publicUrl: derived ? `http://localhost:${port}` : config.publicUrl }), release };
}
