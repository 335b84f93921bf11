import { DEFAULT_MIGRATION_TABLE, Migrator, sql, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Db } from './open-database.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));
/** Where kysely's Migrator records what it applied (its default name, in the search path's schema). */
const MIGRATION_TABLE = DEFAULT_MIGRATION_TABLE;

/**
 * migrations/NNN_name.sql, applied in name order. Each file goes to the server whole (never split on
 * ';', which breaks $$ bodies); both drivers run parameterless SQL through the simple protocol.
 */
class SqlFileMigrationProvider implements MigrationProvider {
  constructor(private readonly dir: string) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const migrations: Record<string, Migration> = {};
    for (const name of await migrationNames(this.dir)) {
      const text = await readFile(`${this.dir}/${name}.sql`, 'utf8');
      migrations[name] = { up: async (db) => void (await sql.raw(text).execute(db)) };
    }
    return migrations;
  }
}

async function migrationNames(dir: string): Promise<string[]> {
  return (await readdir(dir))
    .filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((f) => f.replace(/\.sql$/, ''));
}

export class MigrationError extends Error {
  readonly code = 'MIGRATION_FAILED';
  constructor(
    readonly migration: string | undefined,
    cause: unknown,
  ) {
    super(`migration ${migration ?? '(unknown)'} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'MigrationError';
  }
}

/** Applies pending migrations; returns the names applied. Safe to run from two processes at once. */
export async function migrate(db: Db, dir = MIGRATIONS_DIR): Promise<string[]> {
  // Nothing pending, as on every start but the first after an upgrade: done, without the Migrator
  // and the checks it makes first (see migrationState).
  let state: MigrationState;
  try {
    state = await migrationState(db, dir);
  } catch (err) {
    throw new MigrationError(undefined, err);
  }
  if (state.unknown.length > 0) throw new SchemaNewerError(state.unknown);
  if (state.pending.length === 0) return [];
  const migrator = new Migrator({ db, provider: new SqlFileMigrationProvider(dir) });
  const { error, results }: MigrationResultSet = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new MigrationError(failed?.migrationName, error);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export interface MigrationState {
  readonly applied: readonly string[];
  readonly pending: readonly string[];
  /** Recorded in the database but not in this release's migrations/: a newer release migrated it. */
  readonly unknown: readonly string[];
}

/**
 * The database was migrated by a newer release than the one running: the old code would read and
 * write a schema it does not know (after a rollback of the code without restoring the backup).
 */
export class SchemaNewerError extends Error {
  readonly code = 'DB_SCHEMA_NEWER';
  constructor(readonly unknown: readonly string[]) {
    super(
      `the database was migrated by a newer release than this one (${unknown.join(', ')} not in this release's migrations)\n` +
        '  hint: run that release again, or restore the backup taken before the upgrade (docs/upgrading.md)',
    );
    this.name = 'SchemaNewerError';
  }
}

/**
 * Which migrations the database has and which it lacks; reads only (no migration table is created).
 * Asked of the database directly, not through kysely's Migrator.getMigrations, which learns whether
 * its table exists by introspecting every table and column: 0.5-0.9 s as the first query of an
 * embedded database (cold catalog caches in WebAssembly), the largest part of `digest status`.
 */
export async function migrationState(db: Db, dir = MIGRATIONS_DIR): Promise<MigrationState> {
  const names = await migrationNames(dir);
  const table = await sql<{ t: string | null }>`SELECT to_regclass(${MIGRATION_TABLE})::text AS t`.execute(db);
  const done = table.rows[0]?.t
    ? new Set((await sql<{ name: string }>`SELECT name FROM ${sql.table(MIGRATION_TABLE)}`.execute(db)).rows.map((r) => r.name))
    : new Set<string>();
  const known = new Set(names);
  return {
    applied: names.filter((n) => done.has(n)),
    pending: names.filter((n) => !done.has(n)),
    unknown: [...done].filter((n) => !known.has(n)).sort(),
  };
}
