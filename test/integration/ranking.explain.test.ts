import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editionWindow } from '../../src/editions/index.js';
import { candidatesQuery } from '../../src/stories/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

/**
 * The candidates query must stay fast on a large archive: on 1,000,000 stories spread over ~3 years,
 * PostgreSQL's plan reads the window through the (kind, published_at) index instead of scanning.
 */
describe('the candidates query on 1,000,000 stories (PostgreSQL)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('postgres');
    await sql`
      INSERT INTO stories (url, kind, title, published_at, votes, comments)
      SELECT 'https://n.example/' || g, CASE WHEN g % 5 = 0 THEN 'blog' ELSE 'story' END, 'Story ' || g,
             timestamptz '2026-11-26 06:00+00' - (g * interval '90 seconds'), g % 97, g % 13
      FROM generate_series(1, 1000000) AS g`.execute(t.db);
    await sql`ANALYZE stories`.execute(t.db);
  }, 180_000);
  afterAll(async () => t?.close());

  it("uses the index, not a sequential scan, and finds the window's stories", async () => {
    const window = editionWindow('2026-11-26', '0 6 * * *', 'UTC');
    const compiled = candidatesQuery(t.db, window).compile();
    const plan = await sql.raw<{ 'QUERY PLAN': string }>(`EXPLAIN ${inline(compiled.sql, compiled.parameters)}`).execute(t.db);
    const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(text).toMatch(/Index (Only )?Scan using stories_kind_published_at|Bitmap Index Scan on stories_kind_published_at/);
    expect(text).not.toMatch(/Seq Scan on stories/);
    const rows = await candidatesQuery(t.db, window).execute();
    expect(rows).toHaveLength(960); // 24 h / 90 s
  });
});

/** EXPLAIN cannot take bind parameters over the simple protocol: inline them as literals. */
function inline(text: string, params: readonly unknown[]): string {
  return text.replace(/\$(\d+)/g, (_, n: string) => {
    const v = params[Number(n) - 1];
    if (v instanceof Date) return `'${v.toISOString()}'::timestamptz`;
    if (typeof v === 'number') return String(v);
    return `'${String(v).replace(/'/g, "''")}'`;
  });
}
