/**
 * What the send asked of PostgreSQL, from pg_stat_statements: reset right before the send, the
 * statements that took the most time after it. The extension must be loaded at server start
 * (shared_preload_libraries); without it the bench says how to enable it and carries on.
 */
import pg from 'pg';

export interface StatementRow {
  query: string;
  calls: number;
  totalMs: number;
  msPerCall: number;
  rows: number;
  usPerMessage: number;
}

export const HOW_TO_ENABLE =
  "pg_stat_statements is not loaded: ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements', restart PostgreSQL, and run the bench again";

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Creates the extension in the bench database and zeroes its counts; false when it is not loaded. */
export async function resetStatements(url: string): Promise<boolean> {
  return withClient(url, async (c) => {
    const loaded = (await c.query<{ s: string }>(`SELECT current_setting('shared_preload_libraries') AS s`)).rows[0]!.s;
    if (!loaded.split(',').some((l) => l.trim() === 'pg_stat_statements')) return false;
    await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await c.query('SELECT pg_stat_statements_reset()');
    return true;
  });
}

/** The bench database's statements by total execution time, query text on one line. */
export async function topStatements(url: string, messages: number, top = 8): Promise<StatementRow[]> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ query: string; calls: string; total: number; rows: string }>(
      `SELECT query, calls, total_exec_time AS total, rows
         FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND query NOT LIKE '%pg_stat_statements%'
        ORDER BY total_exec_time DESC
        LIMIT $1`,
      [top],
    );
    return rows.map((r) => ({
      query: r.query.replace(/\s+/g, ' ').trim(),
      calls: Number(r.calls),
      totalMs: r.total,
      msPerCall: r.total / Math.max(1, Number(r.calls)),
      rows: Number(r.rows),
      usPerMessage: (r.total * 1000) / Math.max(1, messages),
    }));
  });
}

export function formatStatements(rows: readonly StatementRow[], width = 100): string {
  const cut = (q: string) => (q.length > width ? `${q.slice(0, width - 1)}…` : q);
  return [
    `${'calls'.padStart(8)}  ${'total ms'.padStart(9)}  ${'ms/call'.padStart(8)}  ${'rows'.padStart(8)}  ${'µs/msg'.padStart(7)}  query`,
    ...rows.map(
      (r) =>
        `${String(r.calls).padStart(8)}  ${r.totalMs.toFixed(0).padStart(9)}  ${r.msPerCall.toFixed(3).padStart(8)}  ${String(r.rows).padStart(8)}  ${r.usPerMessage.toFixed(1).padStart(7)}  ${cut(r.query)}`,
    ),
  ].join('\n');
}
