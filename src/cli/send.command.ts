import type { Command } from 'commander';
import { localDate } from '../ranking/index.js';
import { dailySpecs, deliveryCounts, prepareEdition, runEdition, weeklySpec, type EditionSpec } from '../delivery/index.js';
import { dryRunEdition } from '../delivery/dry-run.js';
import { CliError } from './cli-error.js';
import { withContext } from './context.js';
import { openDelivery, withShutdownSignal } from './delivery-runtime.js';
import { SendProgress } from './send-progress.js';

export function sendCommand(program: Command): void {
  program
    .command('send')
    .description("create (or resume) the day's edition and send it now, with progress; a second run sends nothing new")
    .option('--date <YYYY-MM-DD>', 'edition date (default: today in DIGEST_TZ)')
    .option('--dry-run', 'show the pick and how many readers would get it; send and write nothing')
    .action(async (opts: { date?: string; dryRun?: boolean }) => {
      await withContext('send', async ({ config, log, database }) => {
        const date = opts.date ?? localDate(new Date(), config.digest.timeZone);
        if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new CliError(`--date "${date}" is not YYYY-MM-DD`);
        const specs: EditionSpec[] = dailySpecs(config, date);
        const weekly = weeklySpec(config, date);
        if (weekly) specs.push(weekly);
        if (specs.length === 0) throw new CliError(`DIGEST_CRON "${config.digest.cron}" has no send slot on ${date}`, { hint: 'pick a date on which the schedule sends' });

        if (opts.dryRun) {
          for (const spec of specs) {
            const r = await dryRunEdition(database.db, config, spec);
            process.stdout.write(
              `${spec.date} ${spec.slot} (${spec.kind}): ${r.existing ? `already ${r.existing}; ` : ''}${r.stories} stories, ${r.blogs} blog posts, ${r.recipients} reader(s) would get it (dry run: nothing sent or written)\n`,
            );
          }
          return;
        }

        const delivery = await openDelivery(database.db, config, log);
        try {
          await withShutdownSignal(log, async (signal) => {
            for (const spec of specs) {
              if (signal.aborted) break;
              const prepared = await prepareEdition({ db: database.db, config, log }, spec);
              const e = prepared.edition;
              const name = `${e.date} ${e.slot}`;
              if (prepared.outcome !== 'created' && prepared.outcome !== 'resumed') {
                if (spec.kind === 'weekly' && prepared.outcome === 'already_sent') continue;
                const counts = await deliveryCounts(database.db, e.id);
                process.stdout.write(`${name}: ${describe(prepared.outcome, e.error)}; nothing new to send (${counts.sent} sent earlier)\n`);
                continue;
              }
              const before = await deliveryCounts(database.db, e.id);
              if (spec.kind === 'weekly' && before.total === 0) {
                await runEdition(delivery, e, { workers: 1, signal });
                continue;
              }
              process.stdout.write(`${name}: ${prepared.outcome === 'created' ? `rendered, ${prepared.deliveriesCreated} deliveries created` : `resuming (${before.sent} of ${before.total} already sent)`}\n`);
              const workers = database.engine === 'pglite' ? 1 : config.workers;
              const progress = new SendProgress(name, before.total, before.sent + before.failed + before.skipped);
              progress.start();
              const counts = await runEdition(delivery, e, { workers, signal, onEvent: progress.onEvent });
              progress.finish(counts);
              process.stdout.write(
                `${name}: ${counts.sent} sent, ${counts.failed} failed, ${counts.skipped} skipped, ${counts.retry + counts.queued + counts.sending} left${counts.uncertain ? `, ${counts.uncertain} resent after a lost reply` : ''}${signal.aborted ? ' (interrupted: run digest send again to resume)' : ''}\n`,
              );
            }
          });
        } finally {
          await delivery.close();
        }
      });
    });
}

function describe(outcome: string, error: string | null): string {
  switch (outcome) {
    case 'already_sent':
      return 'already sent';
    case 'empty':
      return `empty (${error ?? 'no stories'})`;
    case 'expired':
      return `expired (${error ?? 'past its cutoff'})`;
    case 'failed':
      return `failed (${error ?? 'render failed'})`;
    default:
      return outcome;
  }
}
