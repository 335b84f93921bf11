import type { Command } from 'commander';
import { createLogger, loadConfig, readEnvironment } from '../config/index.js';
import { startService } from '../main.js';

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('migrate, then serve HTTP and run the scheduler (what `npm start` runs)')
    .action(async () => {
      const config = loadConfig(readEnvironment());
      const log = createLogger({ level: config.logLevel });
      if (config.secretGenerated) {
        log.warn({ event: 'config.secret_generated', dataDir: config.dataDir }, 'SECRET is not set: using one generated and kept in DATA_DIR. Production needs its own SECRET.');
      }
      const service = await startService(config, log);
      const banner = [
        '',
        `  daily-digest is running (${service.database.engine === 'pglite' ? `embedded database in ${config.dataDir}` : 'PostgreSQL'})`,
        `  listening on  ${service.url}`,
        `  sign-up page  ${config.publicUrl}/`,
        service.catcher
          ? `  mail inbox    ${config.publicUrl}/inbox   (built-in catcher on ${service.smtpUrl}: set SMTP_URL to send for real)`
          : `  mail relay    ${new URL(service.smtpUrl).host}`,
        `  health        ${config.publicUrl}/healthz`,
        '',
      ].join('\n');
      process.stdout.write(banner + '\n');

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
    });
}
