import type { Command } from 'commander';

/** `digest stats`: the dashboard's numbers on a terminal (or as JSON for a script). */
export function statsCommand(program: Command): void {
  program
    .command('stats')
    .description('subscribers by state, joins and leaves per day, why readers left')
    .option('--days <n>', 'days of history', (v) => Number(v), 14)
    .option('--json', 'print JSON')
    .action(async (opts: { days: number; json?: boolean }) => {
      const days = Number.isInteger(opts.days) && opts.days > 0 && opts.days <= 366 ? opts.days : 14;
      const [{ subscriberCounts, subscriberGrowth, unsubscribeReasons }, { withContext }] = await Promise.all([
        import('../subscribers/index.js'),
        import('./context.js'),
      ]);
      await withContext('stats', async ({ database }) => {
        const [counts, growth, reasons] = await Promise.all([
          subscriberCounts(database.db),
          subscriberGrowth(database.db, days),
          unsubscribeReasons(database.db, 20),
        ]);
        if (opts.json) {
          process.stdout.write(JSON.stringify({ subscribers: counts, growth, unsubscribeReasons: reasons }, null, 2) + '\n');
          return;
        }
        const lines = [
          `subscribers: ${counts.active} active, ${counts.pending} awaiting confirmation, ${counts.unsubscribed} unsubscribed, ${counts.bounced} bounced`,
          '',
          'day         active  joined    left  bounced',
          ...growth.map(
            (g) => `${g.day}  ${[g.active, g.confirmed, g.unsubscribed, g.bounced].map((n) => String(n).padStart(6)).join('  ')}`,
          ),
        ];
        if (reasons.length > 0) {
          lines.push('', 'why readers left (edition: readers, reason)');
          for (const r of reasons) lines.push(`  ${r.editionId ?? '-'}: ${r.count}  ${r.reason}`);
        }
        process.stdout.write(lines.join('\n') + '\n');
      });
    });
}
