import type { Command } from 'commander';
import type { Ranked } from '../ranking/index.js';
import type { Story } from '../db/index.js';

function row(s: Ranked<Story>, formatInstant: (at: Date) => string): string {
  const when = formatInstant(s.published_at);
  return `${String(s.rank).padStart(3)}  ${s.score.toFixed(3).padStart(8)}  ${String(s.votes).padStart(5)}  ${String(s.comments).padStart(5)}  ${when}  ${s.title}\n${' '.repeat(57)}${s.url}`;
}

export function topCommand(program: Command): void {
  program
    .command('top')
    .description('print the pick of an edition: the top stories and blog posts of the 24 h before its send time')
    .option('--date <YYYY-MM-DD>', "edition date (default: the next edition to go out: today's until its cutoff, then tomorrow's)")
    .option('--json', 'print JSON')
    .action(async (opts: { date?: string; json?: boolean }) => {
      const [{ currentEditionDate, editionWindow, pickForEdition }, { withContext }, { formatInstant }] = await Promise.all([
        import('../editions/index.js'),
        import('./context.js'),
        import('../config/index.js'),
      ]);
      await withContext('top', async ({ config, database, clock }) => {
        const date = opts.date ?? currentEditionDate(config, clock());
        const window = editionWindow(date, config.digest.cron, config.digest.timeZone);
        const pick = await pickForEdition(
          database.db,
          { date, kind: 'daily', window_start: window.start, window_end: window.end },
          config.sections,
        );
        if (opts.json) {
          process.stdout.write(
            JSON.stringify({ date, slot: window.slot, window: { start: window.start, end: window.end }, ...pick }, null, 2) + '\n',
          );
          return;
        }
        const out: string[] = [
          `Edition ${date} ${window.slot} ${config.digest.timeZone}: stories published ${formatInstant(window.start)} – ${formatInstant(window.end)}`,
          '',
          `Top stories (${pick.stories.length} of ${config.sections.topStories})`,
          'rank     score  votes  comm.  published             title',
          ...(pick.stories.length ? pick.stories.map((s) => row(s, formatInstant)) : ['  (none in this window)']),
          '',
          `From the blogs (${pick.blogs.length} of ${config.sections.topBlogs})`,
          ...(pick.blogs.length ? pick.blogs.map((s) => row(s, formatInstant)) : ['  (none in this window)']),
        ];
        process.stdout.write(out.join('\n') + '\n');
      });
    });
}
