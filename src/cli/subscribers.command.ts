import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { SubscriberStatus } from '../db/index.js';
import { CliError } from './cli-error.js';

// What the subcommands run, loaded when one runs (not for `digest --help`).
const load = () => Promise.all([import('../subscribers/index.js'), import('./context.js')]);

/** `digest subscribers import FILE.csv | export [--status] | erase EMAIL`. */
export function subscribersCommand(program: Command): void {
  const subscribers = program.command('subscribers').description('move subscribers in and out, erase one');

  subscribers
    .command('import')
    .description('import email,name[,timezone] rows (header optional; listmonk and Mailchimp exports as they are) as active subscribers')
    .argument('<file.csv>')
    .action(async (file: string) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
      }
      const [{ importSubscribers }, { withContext }] = await load();
      await withContext('subscribers import', async ({ database }) => {
        const r = await importSubscribers(database.db, text);
        process.stdout.write(
          `${file}: ${r.inserted} new, ${r.updated} merged into existing, ${r.duplicates} duplicate lines merged, ${r.problems.length} rejected\n`,
        );
        for (const p of r.problems) process.stderr.write(`  line ${p.line}: ${p.message}\n`);
        if (r.problems.length > 0) {
          process.stderr.write('  the other rows were imported; fix the rejected lines and import again (re-importing is harmless)\n');
          process.exitCode = 1;
        }
      });
    });

  subscribers
    .command('export')
    .description('write every subscriber as CSV to stdout (imports back with `subscribers import`)')
    .addOption(new Option('--status <status>', 'only subscribers in this state').choices(['pending', 'active', 'unsubscribed', 'bounced']))
    .action(async (opts: { status?: SubscriberStatus }) => {
      const [{ exportSubscribers }, { withContext }] = await load();
      await withContext('subscribers export', async ({ database }) => {
        const n = await exportSubscribers(
          database.db,
          (chunk) => new Promise<void>((resolve) => (process.stdout.write(chunk) ? resolve() : process.stdout.once('drain', resolve))),
          opts.status ? { status: opts.status } : {},
        );
        process.stderr.write(`exported ${n} subscriber${n === 1 ? '' : 's'}\n`);
      });
    });

  subscribers
    .command('erase')
    .description("delete a subscriber's personal data; keep only a hash so the address is never mailed again unless it signs up anew")
    .argument('<email>')
    .action(async (email: string) => {
      const [{ eraseSubscriber, parseEmailAddress }, { withContext }] = await load();
      const parsed = parseEmailAddress(email);
      if (!parsed.ok) throw new CliError(`"${email}" is not a valid email address`, { code: 'USAGE' });
      await withContext('subscribers erase', async ({ database }) => {
        const r = await eraseSubscriber(database.db, parsed.email);
        process.stdout.write(
          r.found
            ? `erased ${parsed.email}: personal data deleted, address suppressed (hash kept)\n`
            : `no subscriber with ${parsed.email}; the address is suppressed all the same (hash kept)\n`,
        );
      });
    });
}
