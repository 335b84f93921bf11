import type { Command } from 'commander';
import { EXIT } from './cli-error.js';

export function statusCommand(program: Command): void {
  program
    .command('status')
    .description(
      'editions with their deliveries per state, the retry queue, the oldest lease, whether the relay throttles sending, and pending migrations (exit 1 while any are pending)',
    )
    .option('--limit <n>', 'editions to show', (v) => Number(v), 10)
    .option('--json', 'print JSON')
    .action(async (opts: { limit: number; json?: boolean }) => {
      const [{ DatabaseNotSetUpError }, { deliveryOverview, describeThrottle }, { withContext }, { formatInstant }] = await Promise.all([
        import('../db/index.js'),
        import('../delivery/index.js'),
        import('./context.js'),
        import('../config/index.js'),
      ]);
      await withContext('status', async ({ config, database, migrations }) => {
        // Read-only: status never migrates. An empty database has nothing to show but how to set it up.
        if (migrations.applied.length === 0) {
          throw new DatabaseNotSetUpError(
            config.databaseUrl ? 'DATABASE_URL' : 'DATA_DIR',
            config.databaseUrl ?? config.dataDir,
            migrations.pending,
          );
        }
        const pending = migrations.pending;
        // Truthful: the database is not ready for send or worker until they are applied.
        if (pending.length > 0) process.exitCode = EXIT.failure;
        const o = await deliveryOverview(database.db, opts.limit);
        if (opts.json) {
          process.stdout.write(JSON.stringify({ ...o, migrations: { applied: migrations.applied.length, pending } }, null, 2) + '\n');
          return;
        }
        const lines = ['edition            slot          kind    status    queued sending    sent   retry  failed skipped uncert.'];
        for (const { edition: e, counts: c } of o.editions) {
          lines.push(
            `${String(e.id).padStart(4)} ${e.date}  ${e.slot.padEnd(12)}  ${e.kind.padEnd(6)}  ${e.status.padEnd(8)} ${[c.queued, c.sending, c.sent, c.retry, c.failed, c.skipped, c.uncertain].map((n) => String(n).padStart(7)).join(' ')}${e.error ? `  (${e.error})` : ''}`,
          );
        }
        if (o.editions.length === 0) lines.push('  (no editions yet)');
        // What helps, for the editions that will not go out by themselves.
        const steps = o.editions.flatMap(({ edition: e }) =>
          e.status === 'failed'
            ? [`  ${e.date} ${e.slot} failed: fix the cause above, then digest send --date ${e.date} --retry`]
            : e.status === 'expired'
              ? [`  ${e.date} ${e.slot} expired: not sent by itself; digest send --date ${e.date} --late sends it anyway`]
              : e.status === 'paused'
                ? [`  ${e.date} ${e.slot} paused: resume it in the admin (Editions)`]
                : [],
        );
        if (steps.length > 0) lines.push('', 'next steps:', ...steps);
        lines.push('');
        lines.push(`retry queue: ${o.retryQueue.count}${o.retryQueue.nextAt ? `, next due ${formatInstant(o.retryQueue.nextAt)}` : ''}`);
        lines.push(
          o.oldestLease
            ? `oldest lease: delivery ${o.oldestLease.deliveryId}, until ${formatInstant(o.oldestLease.leaseUntil)}`
            : 'oldest lease: none (nothing is being sent)',
        );
        // A relay's rate limit slows the send without failing anything: said here, or it looks stuck.
        for (const t of o.relayThrottles) lines.push(`relay throttling: ${describeThrottle(t)}`);
        lines.push(
          pending.length === 0
            ? `migrations: up to date (${migrations.applied.length} applied)`
            : `migrations: ${pending.length} pending (${pending.join(', ')}): run digest migrate (digest serve applies them when it starts); send and worker refuse to run until then`,
        );
        lines.push(
          `database: ${database.engine === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `embedded, DATA_DIR ${config.dataDir}${database.throughServer ? ' (through the running digest serve)' : ''}`}`,
        );
        process.stdout.write(lines.join('\n') + '\n');
      });
    });
}
