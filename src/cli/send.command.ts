import type { Command } from 'commander';
import type { EditionSpec } from '../editions/index.js';
import { CliError, EXIT } from './cli-error.js';
import type { SendVerdict } from './send-outcome.js';

export function sendCommand(program: Command): void {
  program
    .command('send')
    .description("create (or resume) the date's editions and send them now, with progress; a second run sends nothing new")
    .option('--date <YYYY-MM-DD>', "edition date (default: the next edition to go out: today's until its cutoff, then tomorrow's)")
    .option(
      '--dry-run',
      'say what a send would do (send, or why not: expired, empty, already sent), the pick and how many readers would get it; send and write nothing; exit as the send would',
    )
    .option('--late', "send an edition past its cutoff anyway (its news may be old): an operator's decision, logged")
    .option('--retry', 'try a failed edition again, once its cause (template, settings) is fixed')
    .action(async (opts: { date?: string; dryRun?: boolean; late?: boolean; retry?: boolean }) => {
      const [
        { deliveryCounts, workerCount },
        { currentEditionDate, cutoffOf, dryRunEdition, editionsOfDate, forecastSend, prepareEdition, runEdition },
        { parseIsoDate },
      ] = await Promise.all([import('../delivery/index.js'), import('../editions/index.js'), import('../ranking/index.js')]);
      const [{ withContext }, { openDelivery, preflightRelay, withShutdownSignal }, { sendOutcome }, { SendProgress }, words] =
        await Promise.all([
          import('./context.js'),
          import('./delivery-runtime.js'),
          import('./send-outcome.js'),
          import('./send-progress.js'),
          import('../config/index.js'),
        ]);
      const { countOf } = words;
      await withContext('send', async ({ config, log, database, clock }) => {
        const now = clock();
        // The edition top, preview and the admin's Send now default to (editions/edition-specs.ts): in
        // the evening, past today's cutoff, that is tomorrow's, which holds the stories since.
        const date = opts.date ?? currentEditionDate(config, now);
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
          const verdicts: SendVerdict[] = [];
          for (const spec of specs) {
            const r = await dryRunEdition(database.db, config, spec);
            const forecast = forecastSend(config, spec, r, { now, late: opts.late, retry: opts.retry });
            const sends = forecast.outcome === 'send' || forecast.outcome === 'send_late';
            process.stdout.write(
              `${spec.date} ${spec.slot} (${spec.kind}): ${forecast.why}; ${countOf(r.stories, 'story', 'stories')}, ${countOf(r.blogs, 'blog post', 'blog posts')}, ${countOf(r.recipients, 'reader', 'readers')} ${sends ? 'would get it' : 'on the list'} (dry run: nothing sent or written)\n`,
            );
            if (forecast.outcome === 'send' || forecast.outcome === 'send_late' || forecast.outcome === 'resume') continue;
            // The code and the line the send itself would end with.
            const counts = r.row ? await deliveryCounts(database.db, r.row.id) : { sent: 0, failed: 0, total: 0 };
            const edition = {
              date: spec.date,
              slot: spec.slot,
              error: r.row?.error ?? null,
              window_end: spec.windowEnd,
              cutoff_at: r.row?.cutoff_at ?? cutoffOf(config, spec.sendAt),
            };
            verdicts.push(sendOutcome(edition, forecast.outcome, counts, { now }));
          }
          sayLater(later, words);
          const worst = verdicts.find((v) => v.exitCode !== EXIT.ok);
          if (worst) throw new CliError(`dry run: ${worst.problem!}`, { hint: worst.hint, exitCode: worst.exitCode });
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
              progress.showThrottle(() => delivery.relay.status().throttle);
              progress.start();
              const counts = await runEdition(delivery, e, { workers, signal, onEvent: progress.onEvent, now: clock().getTime() });
              progress.finish(counts);
              // Paused by an operator mid-send: the workers gave back what they held and stopped. Said, with its own code.
              const paused =
                (await database.db.selectFrom('editions').select('status').where('id', '=', e.id).executeTakeFirst())?.status === 'paused';
              process.stdout.write(
                `${name}: ${counts.sent} sent, ${counts.failed} failed, ${counts.skipped} skipped, ${counts.retry} retrying, ${counts.queued + counts.sending} waiting${counts.uncertain ? `, ${counts.uncertain} resent after a lost reply` : ''}${signal.aborted ? ' (interrupted: run digest send again to resume)' : paused ? ' (paused by an operator)' : ''}\n`,
              );
              verdicts.push(sendOutcome(e, paused && !signal.aborted ? 'paused' : 'sent', counts, { now: clock() }));
            }
          });
        } finally {
          await delivery.close();
        }
        sayLater(later, words);
        // The first edition that sent nothing, for a reason an operator must act on, decides the code.
        const worst = verdicts.find((v) => v.exitCode !== EXIT.ok);
        if (worst) throw new CliError(worst.problem!, { hint: worst.hint, exitCode: worst.exitCode });
      });
    });
}

function sayLater(later: readonly EditionSpec[], words: Pick<typeof import('../config/index.js'), 'countOf' | 'formatInstant'>): void {
  if (later.length === 0) return;
  const first = later[0]!;
  const editions = words.countOf(later.length, "edition for readers' own hours", "editions for readers' own hours");
  process.stdout.write(
    `${editions} on ${first.date} ${later.length === 1 ? 'is' : 'are'} not due yet (next ${first.slot}, ${words.formatInstant(first.sendAt)}): the scheduler (digest serve) sends each at its hour, or run digest send again then\n`,
  );
}
