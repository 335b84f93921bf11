import type { PGlite } from '@electric-sql/pglite';
import { SERVICE, type PGliteSession } from './pglite-session.js';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';

/**
 * Kysely on the embedded engine. PGlite is one session in one process, so the driver hands out that
 * one connection under a mutex: a transaction holds it until commit. Using `db` instead of `trx`
 * inside a transaction therefore waits for ever here (on PostgreSQL it would silently take a second
 * connection); the code keeps `trx` the only handle inside transactions.
 *
 * Rejected: kysely-pglite-dialect (no multi-statement SQL, so .sql migrations with $$ bodies fail) and
 * kysely-pglite (pins kysely 0.27).
 */
export interface PGliteDialectOptions {
  /**
   * How long a query waits while a client of DATA_DIR's socket holds the session before it fails
   * with DatabaseBusyError (pglite-session.ts); unset, as long as it takes.
   */
  readonly waitMs?: number;
  /** false: destroy() leaves the engine open (a second Kysely on the same session). Default true. */
  readonly closesEngine?: boolean;
}

export class PGliteDialect implements Dialect {
  constructor(
    private readonly session: PGliteSession,
    private readonly options: PGliteDialectOptions = {},
  ) {}
  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PGliteDriver(this.session, this.options);
  }
  // biome-ignore lint/suspicious/noExplicitAny: kysely's Dialect interface declares this parameter as Kysely<any>.
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }
}

class PGliteConnection implements DatabaseConnection {
  constructor(private readonly pg: PGlite) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    // Without parameters a statement may be several (a migration file): exec runs them all through
    // the simple protocol, as node-postgres does, and the last one's rows are the result.
    if (query.parameters.length === 0) {
      const results = await this.pg.exec(query.sql);
      const last = results[results.length - 1];
      return resultOf<R>(last?.rows ?? [], last?.affectedRows);
    }
    const result = await this.pg.query<R>(query.sql, query.parameters as unknown[]);
    return resultOf<R>(result.rows, result.affectedRows);
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize = 1000): AsyncIterableIterator<QueryResult<R>> {
    // One session cannot hold a cursor open while other work runs on it, so "streaming" here
    // fetches the result and yields it in chunks.
    const { rows } = await this.executeQuery<R>(query);
    for (let i = 0; i < rows.length; i += chunkSize) yield { rows: rows.slice(i, i + chunkSize) };
  }
}

function resultOf<R>(rows: unknown[], affected: number | undefined): QueryResult<R> {
  return {
    rows: rows as R[],
    ...(affected !== undefined && affected > 0 ? { numAffectedRows: BigInt(affected) } : {}),
  };
}

class PGliteDriver implements Driver {
  private readonly connection: PGliteConnection;
  private readonly pg: PGlite;
  private release: (() => void) | undefined;

  constructor(
    private readonly session: PGliteSession,
    private readonly options: PGliteDialectOptions,
  ) {
    this.pg = session.pglite;
    this.connection = new PGliteConnection(session.pglite);
  }

  async init(): Promise<void> {
    await this.pg.waitReady;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    // The session lock shared with the data directory's socket (database-socket.ts), not one of its own.
    this.release = await this.session.lock(SERVICE, this.options.waitMs);
    return this.connection;
  }

  async releaseConnection(): Promise<void> {
    const release = this.release;
    this.release = undefined;
    release?.();
  }

  async beginTransaction(conn: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    let begin = 'begin';
    if (settings.isolationLevel) begin += ` isolation level ${settings.isolationLevel}`;
    if (settings.accessMode) begin += ` ${settings.accessMode}`;
    await conn.executeQuery(CompiledQuery.raw(begin));
  }

  async commitTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw('rollback'));
  }

  async savepoint(conn: DatabaseConnection, name: string): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw(`savepoint ${quoteIdent(name)}`));
  }

  async rollbackToSavepoint(conn: DatabaseConnection, name: string): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw(`rollback to savepoint ${quoteIdent(name)}`));
  }

  async releaseSavepoint(conn: DatabaseConnection, name: string): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw(`release savepoint ${quoteIdent(name)}`));
  }

  async destroy(): Promise<void> {
    if (this.options.closesEngine !== false && !this.pg.closed) await this.pg.close();
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
