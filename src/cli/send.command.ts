import type { Command } from 'commander';
import type { EditionSpec } from '../editions/index.js';
import { CliError, EXIT } from './cli-error.js';
import type { SendVerdict } from './send-outcome.js';

export function sendCommand(program: Command): void {
  program
    .command('send')
    .description("create (or resume) the date's editions and send them now, with progress; a second run sends nothing new")
    .option('--date <YYYY-MM-DD>', 'edition date (default: today in DIGEST_TZ)')
    .option('--dry-run', 'show the pick and how many readers would get it; send and write nothing')
    .option('--late', "send an edition past its cutoff anyway (its news may be old): an operator's decision, logged")
    .option('--retry', 'try a failed edition again, once its cause (template, settings) is fixed')
    .action(async (opts: { date?: string; dryRun?: boolean; late?: boolean; retry?: boolean }) => {
      const [
        { systemClock },
        { deliveryCounts, workerCount },
        { dryRunEdition, editionsOfDate, prepareEdition, runEdition },
        { localDate, parseIsoDate },
      ] = await Promise.all([
        import('../config/index.js'),
        import('../delivery/index.js'),
        import('../editions/index.js'),
        import('../ranking/index.js'),
      ]);
      const [{ withContext }, { openDelivery, preflightRelay, withShutdownSignal }, { sendOutcome }, { SendProgress }] = await Promise.all([
        import('./context.js'),
        import('./delivery-runtime.js'),
        import('./send-outcome.js'),
        import('./send-progress.js'),
      ]);
      await withContext('send', async ({ config, log, database }) => {
        const clock = systemClock;
        const now = clock();
        const date = opts.date ?? localDate(now, config.digest.timeZone);
        if (!parseIsoDate(date)) throw new CliError(`--date "${date}" is not a date (YYYY-MM-DD)`, { exitCode: EXIT.usage });
        const all = await editionsOfDate(database.db, config, date);
        // Readers' own hours are theirs: an hourly edition goes out once its hour has come, never early.
        const specs: EditionSpec[] = all.filter((s) => s.kind !== 'hourly' || s.sendAt <= now);
        const later = all.filter((s) => !specs.includes(s));
        if (specs.length === 0 && later.length === 0) {
          throw new CliError(`DIGEST_CRON "${config.digest.cron}" has no send slot on ${date}`, {
            hint: 'pick a date on which the schedule sends',
            exitCode: EXIT.usage,
          });
        }

        if (opts.dryRun) {
          for (const spec of specs) {
            const r = await dryRunEdition(database.db, config, spec);
            process.stdout.write(
              `${spec.date} ${spec.slot} (${spec.kind}): ${r.existing ? `already ${r.existing}; ` : ''}${r.stories} stories, ${r.blogs} blog posts, ${r.recipients} reader(s) would get it (dry run: nothing sent or written)\n`,
            );
          }
          sayLater(later);
          return;
        }

        const verdicts: SendVerdict[] = [];
        const delivery = await openDelivery(database.db, config, log);
        // The relay is tried before any edition is prepared or claimed: a dead one costs nothing.
        delivery.relay.onChange((r) =>
          process.stderr.write(
            r.up
              ? 'relay answers again: sending resumed\n'
              : `${r.error}: sending paused, claiming nothing until it answers (Ctrl-C to stop)\n`,
          ),
        );
        try {
          if (specs.length > 0) await preflightRelay(delivery);
          await withShutdownSignal(log, async (signal) => {
            for (const spec of specs) {
              if (signal.aborted) break;
              const prepared = await prepareEdition({ db: database.db, config, log }, spec, {
                now: clock(),
                late: opts.late,
                retry: opts.retry,
              });
              const e = prepared.edition;
              const name = `${e.date} ${e.slot}`;
              if (prepared.outcome !== 'created' && prepared.outcome !== 'resumed') {
                const counts = await deliveryCounts(database.db, e.id);
                const verdict = sendOutcome(e, prepared.outcome, counts, { now: clock() });
                verdicts.push(verdict);
                process.stdout.write(`${name}: ${verdict.line}\n`);
                continue;
              }
              const before = await deliveryCounts(database.db, e.id);
              process.stdout.write(
                `${name}: ${prepared.outcome === 'created' ? `rendered, ${prepared.deliveriesCreated} deliveries created` : `resuming (${before.sent} of ${before.total} already sent)`}\n`,
              );
              const workers = workerCount(database.engine, config.workers);
              const progress = new SendProgress(name, before.total, before.sent + before.failed + before.skipped);
              progress.start();
              const counts = await runEdition(delivery, e, { workers, signal, onEvent: progress.onEvent, now: clock().getTime() });
              progress.finish(counts);
              process.stdout.write(
                `${name}: ${counts.sent} sent, ${counts.failed} failed, ${counts.skipped} skipped, ${counts.retry + counts.queued + counts.sending} left${counts.uncertain ? `, ${counts.uncertain} resent after a lost reply` : ''}${signal.aborted ? ' (interrupted: run digest send again to resume)' : ''}\n`,
              );
              verdicts.push(sendOutcome(e, 'sent', counts, { now: clock() }));
            }
          });
        } finally {
          await delivery.close();
        }
        sayLater(later);
        // The first edition that sent nothing, for a reason an operator must act on, decides the code.
        const worst = verdicts.find((v) => v.exitCode !== EXIT.ok);
        if (worst) throw new CliError(worst.problem!, { hint: worst.hint, exitCode: worst.exitCode });
      });
    });
}

function sayLater(later: readonly EditionSpec[]): void {
  if (later.length === 0) return;
  const first = later[0]!;
  process.stdout.write(
    `${later.length} edition(s) for readers' own hours on ${first.date} are not due yet (next ${first.slot}, ${first.sendAt.toISOString()}): the scheduler (digest serve) sends them at their hour, or run digest send again then\n`,
  );
}
