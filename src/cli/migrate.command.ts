import type { Command } from 'commander';
import { migrate } from '../db/index.js';
import { withContext } from './context.js';

export function migrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(async () => {
      await withContext(
        'migrate',
        async ({ database }) => {
          const applied = await migrate(database.db);
          const what = applied.length ? `applied ${applied.join(', ')}` : 'nothing to apply';
          process.stdout.write(`database is up to date (${database.engine}): ${what}\n`);
        },
        { migrate: false },
      );
    });
}
