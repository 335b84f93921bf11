import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';

/**
 * `digest preview [--date] [--out FILE.html] [--check]`: renders what the edition would be from the
 * stories in the database now, as a sample reader would get it, without sending. --check runs the
 * same preflight the send runs and exits 1 when it fails.
 */
export function previewCommand(program: Command): void {
  program
    .command('preview')
    .description('render the edition from the stories in the database now, without sending')
    .option('--date <YYYY-MM-DD>', "edition date (default: the next edition to go out: today's until its cutoff, then tomorrow's)")
    .option('--out <FILE.html>', 'write the HTML email there (default: print the plain-text part)')
    .option('--check', 'run the preflight checks; exit 1 when one fails')
    .action(async (opts: { date?: string; out?: string; check?: boolean }, cmd: Command) => {
      const { parseIsoDate } = await import('../ranking/index.js');
      if (opts.date !== undefined && !parseIsoDate(opts.date))
        cmd.error(`error: --date "${opts.date}" is not a YYYY-MM-DD date`, { exitCode: 2 });
      const [{ buildPreview, currentEditionDate }, { describePreflight }, { withContext }] = await Promise.all([
        import('../editions/index.js'),
        import('../render/index.js'),
        import('./context.js'),
      ]);
      await withContext('preview', async ({ config, database, clock }) => {
        const date = opts.date ?? currentEditionDate(config, clock());
        const preview = await buildPreview(database.db, config, date);
        const r = preview.rendered;
        process.stderr.write(
          `Edition ${date}: ${r.storyIds.length} stories, subject "${r.subject}", rendered in ${preview.renderMs.toFixed(0)} ms\n`,
        );
        if (opts.out) {
          writeFileSync(opts.out, preview.sample.html);
          process.stderr.write(`HTML (${(Buffer.byteLength(preview.sample.html) / 1000).toFixed(1)} KB) written to ${opts.out}\n`);
        } else if (!opts.check) {
          process.stdout.write(`Subject: ${r.subject}\nPreheader: ${r.preheader}\n\n${preview.sample.text}`);
        }
        if (opts.check) {
          process.stdout.write(describePreflight(preview.preflight) + '\n');
          if (!preview.preflight.ok) process.exitCode = 1;
        }
      });
    });
}
