import cron, { type ScheduledTask } from 'node-cron';
import type { Config, Logger } from './config/index.js';
import { migrate, openDatabase, type OpenDatabase } from './db/index.js';
import { createMailer } from './delivery/index.js';
import { pollFeeds } from './stories/index.js';
import { buildServer } from './web/index.js';

export interface RunningService {
  /** Where the HTTP server listens, e.g. http://127.0.0.1:3000 */
  readonly url: string;
  readonly database: OpenDatabase;
  close(): Promise<void>;
}

/**
 * The composition root of `digest serve`: the only place (with the CLI) that constructs clients.
 * Migrates, serves HTTP, and runs the schedules.
 */
export async function startService(config: Config, log: Logger, options: { database?: OpenDatabase } = {}): Promise<RunningService> {
  const database = options.database ?? (await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, command: 'serve' }));
  const applied = await migrate(database.db);
  if (applied.length > 0) log.info({ event: 'db.migrated', applied }, `applied ${applied.length} migration(s)`);

  // The built-in mail catcher replaces a missing SMTP_URL (next commit); until then, a local relay.
  const mailer = createMailer({ url: config.smtp.url ?? 'smtp://127.0.0.1:2525', from: config.mailFrom, maxConnections: config.smtp.maxConnections, ratePerSecond: config.smtp.ratePerSecond });
  const app = await buildServer({ db: database.db, engine: database.engine, config, log, mailer });
  const address = await app.listen({ port: config.port, host: config.host });
  const url = address.replace('[::1]', 'localhost');

  const tasks: ScheduledTask[] = [];
  if (config.feeds.urls.length > 0) {
    const poll = () => pollFeeds(database.db, config.feeds.urls, log).then(() => undefined);
    tasks.push(cron.schedule(config.feeds.cron, poll, { timezone: config.digest.timeZone, name: 'feeds', noOverlap: true }));
    void poll();
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    database,
    close() {
      closing ??= (async () => {
        for (const t of tasks) await t.destroy();
        await app.close();
        mailer.close();
        if (!options.database) await database.close();
      })();
      return closing;
    },
  };
}
