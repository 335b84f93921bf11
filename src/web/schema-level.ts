import { migrationState, type Db } from '../db/index.js';

/** How far the database's schema is: the last migration applied, and what this release has that it lacks. */
export interface SchemaLevel {
  /** "060_story_source"; null on a database no migration has touched. */
  readonly applied: string | null;
  readonly pending: readonly string[];
  /** Migrations a newer release applied, which this one does not know (db/migrate.ts SchemaNewerError). */
  readonly newer: readonly string[];
}

/**
 * Asked of the database at each call, never cached: `digest migrate` in another process (or another
 * machine on the same PostgreSQL) changes it under a running server, and a pending migration is what
 * an operator looks here for. It costs a to_regclass, one SELECT of a few rows and a listing of
 * migrations/; only the admin's pages and the admin's /healthz ask.
 */
export async function schemaLevel(db: Db): Promise<SchemaLevel> {
  const state = await migrationState(db);
  return { applied: state.applied.at(-1) ?? null, pending: state.pending, newer: state.unknown };
}
