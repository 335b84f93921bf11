import type { Command } from 'commander';

export function migrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('create the database if need be and apply pending migrations (serve does this too when it starts)')
    .action(async () => {
      const [{ migrate }, { withContext }] = await Promise.all([import('../db/index.js'), import('./context.js')]);
      await withContext('migrate', async ({ database }) => {
        const applied = await migrate(database.db);
        const what = applied.length ? `applied ${applied.join(', ')}` : 'nothing to apply';
        process.stdout.write(
          `database is up to date (${database.engine}${database.throughServer ? ', through the running server' : ''}): ${what}\n`,
        );
      });
    });
}
