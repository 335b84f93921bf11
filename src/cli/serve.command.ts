import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import type { Config } from '../config/index.js';

/** The next send slot after `now`, looking a week ahead (a weekday-only schedule skips days). */
export async function nextSendAt(config: Config, now: Date): Promise<Date | undefined> {
  const [{ addDays, editionWindows }, { localDate }] = await Promise.all([import('../editions/index.js'), import('../ranking/index.js')]);
  const today = localDate(now, config.digest.timeZone);
  for (let d = 0; d < 8; d++) {
    // Calendar days, not 24 h steps, which skip a date around a DST change.
    const date = addDays(today, d);
    const next = editionWindows(date, config.digest.cron, config.digest.timeZone).find((w) => w.sendAt > now);
    if (next) return next.sendAt;
  }
  return undefined;
}

async function serve(options: { demo: boolean }): Promise<void> {
  // Loaded here, not at the top: `digest --help` and the other commands do not need the service.
  const [{ createLogger, formatInstant, loadConfig, processClock, readEnvironment }, { startService }] = await Promise.all([
    import('../config/index.js'),
    import('../main.js'),
  ]);
  const env = readEnvironment();
  let config = loadConfig(env);
  const clock = processClock(env);
  const log = createLogger({ level: config.logLevel });
  if (config.production && !config.databaseUrl) {
    log.warn(
      { event: 'config.embedded_database', dataDir: config.dataDir },
      'NODE_ENV=production on the embedded database: one process on one machine, fine for a small list; set DATABASE_URL (PostgreSQL) for extra workers or instances',
    );
  }
  // Zero configuration must still open the admin to the person at the console, and to nobody else:
  // a one-time token, printed below, never logged. Production (NODE_ENV=production) refuses to start
  // without its own ADMIN_TOKEN (config/production-rules.ts).
  let oneTimeToken: string | undefined;
  if (!config.adminToken && !config.production) {
    oneTimeToken = randomBytes(18).toString('base64url');
    config = Object.freeze({ ...config, adminToken: oneTimeToken });
  }
  const service = await startService(config, log, { demo: options.demo, clock });
  // Said once the service is up: a refused start (DATA_DIR held by another serve, a newer schema)
  // prints only why it was refused.
  if (config.secretSource === 'generated') {
    log.warn(
      { event: 'config.secret_generated', dataDir: config.dataDir },
      `SECRET is not set: generated one and kept it in ${config.dataDir}/secret (later starts use it). Production needs its own SECRET.`,
    );
  } else if (config.secretSource === 'stored') {
    log.info(
      { event: 'config.secret_stored', dataDir: config.dataDir },
      `SECRET is not set: using the one generated at the first start, kept in ${config.dataDir}/secret. Production needs its own SECRET.`,
    );
  }
  // Out before the banner below (the log's destination writes asynchronously), so it reads in order.
  await new Promise<void>((resolve) => log.flush(() => resolve()));
  const demo = service.demo;
  const next = await nextSendAt(config, clock());
  const p = service.config.publicUrl;
  const lines = [
    '',
    `  daily-digest is running (${service.database.engine === 'pglite' ? `embedded database in ${config.dataDir}` : 'PostgreSQL'})`,
    `  listening on  ${service.url}`,
    `  sign-up page  ${p}/`,
    service.catcher
      ? `  mail inbox    ${p}/inbox   (built-in catcher on ${service.smtpUrl}: set SMTP_URL to send for real)`
      : `  mail relay    ${new URL(service.smtpUrl).host}`,
    config.adminToken
      ? `  admin         ${p}/admin   ${oneTimeToken ? `(one-time token: ${oneTimeToken} — set ADMIN_TOKEN to keep one)` : '(log in with ADMIN_TOKEN)'}`
      : '  admin         closed: set ADMIN_TOKEN to open it',
    `  next send     ${next ? `${formatInstant(next)} (DIGEST_CRON "${config.digest.cron}" in ${config.digest.timeZone})` : 'none in the next week'}`,
    ...(demo
      ? [
          `  demo          ${demo.stories} stories and ${demo.subscribers} readers loaded for the edition of ${demo.date}${demo.slot ? ` ${demo.slot}` : ''}: press "Send now" in the admin (Editions)`,
        ]
      : []),
    `  health        ${p}/healthz`,
    // A first-time user's next question is whether the README's commands work while this runs.
    ...(service.database.engine === 'pglite'
      ? ["  commands      npx digest status | top | send (in another terminal: they use this server's database)"]
      : []),
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ event: 'service.stopping', signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    service.close().then(
      () => process.exit(0),
      (err) => {
        log.error({ event: 'service.stop_failed', err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('migrate, then serve HTTP and run the scheduler (what `npm start` runs)')
    .option('--demo', 'load a day of sample stories and a few readers (see `digest demo`)')
    .action(async (opts: { demo?: boolean }) => serve({ demo: Boolean(opts.demo) }));
  program
    .command('demo')
    .description('serve with a day of realistic sample stories and a handful of readers, to try "send now"')
    .action(async () => serve({ demo: true }));
}
