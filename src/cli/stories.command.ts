import { Option, type Command } from 'commander';
import type { StoryKind } from '../db/index.js';

export function storiesCommand(program: Command): void {
  const stories = program.command('stories').description('feed stories in');
  stories
    .command('import')
    .description('import a JSON array of stories, or an RSS / Atom / JSON feed, from a file or URL (idempotent)')
    .argument('<file-or-url>')
    .addOption(new Option('--kind <kind>', 'kind for feed items that do not say').choices(['story', 'blog']))
    .action(async (location: string, opts: { kind?: StoryKind }) => {
      const [{ describeOwnedElsewhere, describeProblem, importStories }, { withContext }] = await Promise.all([
        import('../stories/index.js'),
        import('./context.js'),
      ]);
      await withContext('stories import', async ({ database, config }) => {
        const r = await importStories(database.db, location, {
          ...(opts.kind ? { kind: opts.kind } : {}),
          sourceOverride: config.stories.sourceOverride,
          fetch: { allowPrivate: config.feeds.allowPrivate },
        });
        process.stdout.write(
          `${location} (${r.format}): ${r.inserted} new, ${r.updated} updated, ${r.problems.length} rejected, ${r.duplicates} duplicates\n`,
        );
        // Not a failure: the other source's story stays as it was, and saying so is the whole report.
        for (const d of r.ownedElsewhere) process.stderr.write(`  duplicate ${describeOwnedElsewhere(d)}\n`);
        for (const p of r.problems) process.stderr.write(`  rejected ${describeProblem(p)}\n`);
        if (r.problems.length > 0) {
          process.stderr.write('  the other items were imported; fix the rejected ones and import again (re-importing is harmless)\n');
          process.exitCode = 1;
        }
      });
    });
}
