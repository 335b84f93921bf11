import { createLogger, loadConfig, readEnvironment, type Config, type Logger } from '../config/index.js';
import { migrate, openDatabase, type OpenDatabase } from '../db/index.js';

export interface CommandContext {
  readonly config: Config;
  readonly log: Logger;
  readonly database: OpenDatabase;
}

/** Config, logger and database for a one-shot command; the command closes the database when done. */
export async function openContext(command: string, options: { migrate?: boolean } = {}): Promise<CommandContext> {
  const config = loadConfig(readEnvironment());
  // Commands print their results on stdout; logs go to stderr so output can be piped.
  const log = createLogger({ level: config.logLevel, fd: 2 });
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, command });
  if (options.migrate !== false) await migrate(database.db);
  return { config, log, database };
}

export async function withContext<T>(
  command: string,
  fn: (ctx: CommandContext) => Promise<T>,
  options: { migrate?: boolean } = {},
): Promise<T> {
  const ctx = await openContext(command, options);
  try {
    return await fn(ctx);
  } finally {
    await ctx.database.close();
  }
}
