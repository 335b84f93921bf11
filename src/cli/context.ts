import { createLogger, loadConfig, processClock, readEnvironment, type Clock, type Config, type Logger } from '../config/index.js';
import {
  DatabaseNotSetUpError,
  migrationState,
  MigrationsPendingError,
  SchemaNewerError,
  openDatabase,
  type MigrationState,
  type OpenDatabase,
} from '../db/index.js';

export interface CommandContext {
  readonly config: Config;
  readonly log: Logger;
  readonly database: OpenDatabase;
  /** "Now" for the command (config/clock.ts): what is due, past its cutoff, the default edition. */
  readonly clock: Clock;
  /** Applied and pending migrations, as found when the command started (never changed by it). */
  readonly migrations: MigrationState;
}

/**
 * What a command needs of the schema. Only `serve` and `digest migrate` migrate; the others never
 * change it, so a read-only command is fast and harmless beside a running server.
 * - `require`: every migration applied, or refuse (send, worker, the imports: they write);
 * - `read`: refuse an empty database, warn on stderr about pending ones and go on (top, preview, stats, export);
 * - `report`: the command reports the state itself (status).
 */
export type SchemaNeed = 'require' | 'read' | 'report' | 'create';

/** Each command's need, in one place; `create` (digest migrate) may create the embedded database. */
const SCHEMA_NEEDS: Record<string, SchemaNeed> = {
  migrate: 'create',
  status: 'report',
  top: 'read',
  preview: 'read',
  stats: 'read',
  'subscribers export': 'read',
  send: 'require',
  worker: 'require',
  'stories import': 'require',
  'subscribers import': 'require',
  'subscribers erase': 'require',
};

/** Commands that render an edition: SUBJECT_TEMPLATE is checked before they touch anything. */
const RENDERS = new Set(['send', 'worker', 'preview']);

/** Config, logger and database for a one-shot command; the command closes the database when done. */
export async function openContext(command: string, need: SchemaNeed = SCHEMA_NEEDS[command] ?? 'require'): Promise<CommandContext> {
  const env = readEnvironment();
  const config = loadConfig(env);
  const clock = processClock(env);
  // Commands print their results on stdout; logs go to stderr so output can be piped.
  const log = createLogger({ level: config.logLevel, fd: 2 });
  // create: false: a command other than serve/migrate never creates the embedded database; a running
  // `serve` holding DATA_DIR is reached through its socket.
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    command,
    create: need === 'create',
    viaServer: true,
  });
  try {
    const migrations = await migrationState(database.db);
    if (migrations.unknown.length > 0) throw new SchemaNewerError(migrations.unknown);
    const setting = config.databaseUrl ? 'DATABASE_URL' : 'DATA_DIR';
    const where = config.databaseUrl ?? config.dataDir;
    if ((need === 'require' || need === 'read') && migrations.applied.length === 0)
      throw new DatabaseNotSetUpError(setting, where, migrations.pending);
    if (need === 'require' && migrations.pending.length > 0) throw new MigrationsPendingError(setting, where, migrations.pending);
    if (need === 'read' && migrations.pending.length > 0) {
      process.stderr.write(
        `digest: ${migrations.pending.length} migration(s) not applied (${migrations.pending.join(', ')}): run digest migrate\n`,
      );
    }
    // A command that renders mail checks the settings rendering reads (render loads only here, so
    // status and --help stay light).
    if (RENDERS.has(command)) (await import('../render/index.js')).checkRenderSettings(config);
    return { config, log, database, clock, migrations };
  } catch (err) {
    await database.close();
    throw err;
  }
}

export async function withContext<T>(command: string, fn: (ctx: CommandContext) => Promise<T>): Promise<T> {
  const ctx = await openContext(command);
  try {
    return await fn(ctx);
  } finally {
    await ctx.database.close();
  }
}
