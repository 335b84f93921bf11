import { Command, CommanderError } from 'commander';
import { CliError } from './cli-error.js';
import { migrateCommand } from './migrate.command.js';
import { previewCommand } from './preview.command.js';
import { sendCommand } from './send.command.js';
import { statsCommand } from './stats.command.js';
import { statusCommand } from './status.command.js';
import { workerCommand } from './worker.command.js';
import { serveCommand } from './serve.command.js';
import { storiesCommand } from './stories.command.js';
import { subscribersCommand } from './subscribers.command.js';
import { topCommand } from './top.command.js';

// Start-up: this file and the *.command.ts files it imports load commander and nothing else. Each
// command imports what it runs inside its action (`await import(…)`), so `digest --help` answers
// in a tenth of a second and `digest status` never loads MJML, Fastify or the feed parser.

/**
 * `digest --version` / `-V`: asked for while the arguments are parsed, answered in the catch below.
 * Commander's own .version() wants the string before parsing, and reading it means loading config
 * (package.json through config/version.ts), which --help must not.
 */
class VersionAsked extends Error {}

/** Exit codes (cli-error.ts EXIT): 0 ok, 1 failure, 2 usage; `digest send` has its own for each reason nothing went out. */
const program = new Command('digest')
  .description("daily-digest: the day's top stories and blog posts, emailed to every confirmed subscriber")
  .option('-V, --version', 'print the version and exit')
  .on('option:version', () => {
    throw new VersionAsked();
  })
  .showHelpAfterError()
  .exitOverride();

serveCommand(program);
migrateCommand(program);
storiesCommand(program);
subscribersCommand(program);
topCommand(program);
previewCommand(program);
sendCommand(program);
workerCommand(program);
statusCommand(program);
statsCommand(program);

function fail(message: string, code: number): never {
  process.stderr.write(message.endsWith('\n') ? message : message + '\n');
  process.exit(code);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof VersionAsked) {
    const { packageInfo } = await import('../config/index.js');
    process.stdout.write(`${packageInfo().version}\n`);
    process.exit(0);
  }
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') process.exit(0);
    process.exit(2);
  }
  if (err instanceof CliError) fail(`digest: ${err.message}`, err.exitCode);
  // Loaded on the way out only: a command that got this far has loaded them already.
  const [{ ConfigError }, { DataDirLockedError }] = await Promise.all([import('../config/index.js'), import('../db/index.js')]);
  if (err instanceof ConfigError) fail(err.message, 1);
  if (err instanceof DataDirLockedError) fail(`digest: ${err.message}`, 1);
  const e = err as Error & { code?: string };
  fail(`digest: ${e.message}${process.env.DEBUG ? `\n${e.stack}` : ''}`, 1);
}
