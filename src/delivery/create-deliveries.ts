import { sql, type Kysely } from 'kysely';
import type { Database, Edition } from '../db/index.js';

/**
 * Whether `email` (a subscribers.email expression) is on the suppression list. Must compute exactly
 * what subscribers/suppression.repository.ts emailHash() does (sha256 hex of the trimmed, lowercased
 * address); test/integration/delivery.suppression-hash.test.ts holds the two together.
 */
export const isSuppressedSql = (email: ReturnType<typeof sql.ref>) =>
  sql<boolean>`EXISTS (SELECT 1 FROM suppressions x
                        WHERE x.email_hash = encode(sha256(convert_to(lower(btrim(${email}::text)), 'UTF8')), 'hex'))`;

/**
 * Who an edition is for, by its kind. A reader with a send hour gets the `hourly` edition whose send
 * time is the start of that hour on their local clock (their time zone, or DIGEST_TZ): readers are
 * grouped by that instant and their local date (the edition's date, which its mail shows), so each
 * group is one edition rendered once. A time zone PostgreSQL does not
 * know would make AT TIME ZONE throw and stop the whole edition, so such readers are left out (CASE
 * guards the evaluation order).
 */
function audience(kind: Edition['kind'], defaultTz: string) {
  switch (kind) {
    case 'daily':
      return sql`s.frequency = 'daily' AND s.send_hour IS NULL`;
    case 'hourly':
      return sql`s.frequency = 'daily' AND s.send_hour IS NOT NULL
        AND CASE WHEN coalesce(s.timezone, ${defaultTz}) IN (SELECT name FROM pg_timezone_names)
                 THEN (((e.send_at AT TIME ZONE coalesce(s.timezone, ${defaultTz}))::date + make_interval(hours => s.send_hour::int))
                        AT TIME ZONE coalesce(s.timezone, ${defaultTz})) = e.send_at
                      AND (e.send_at AT TIME ZONE coalesce(s.timezone, ${defaultTz}))::date = e.date
                 ELSE false END`;
    case 'weekly':
      return sql`s.frequency = 'weekly' AND coalesce(s.weekday, 1) = extract(dow FROM e.date)::int`;
  }
}

/**
 * THE deliveries of an edition: one row per (edition, active reader it is for), made by a single
 * INSERT … SELECT inside the database, never by a loop in Node (1M rows in seconds, and atomic: a
 * crash leaves all or none). UNIQUE (edition_id, subscriber_id) plus ON CONFLICT DO NOTHING makes
 * running it again (a resumed or repeated `digest send`) add only readers who were not there yet.
 * Suppressed addresses are left out here and checked again at claim time.
 */
export async function createDeliveries(db: Kysely<Database>, edition: Pick<Edition, 'id' | 'kind'>, defaultTz: string): Promise<number> {
  const result = await sql`
    INSERT INTO deliveries (edition_id, subscriber_id)
    SELECT e.id, s.id
      FROM editions e
      JOIN subscribers s ON s.status = 'active'
     WHERE e.id = ${edition.id}
       AND ${audience(edition.kind, defaultTz)}
       AND NOT ${isSuppressedSql(sql.ref('s.email'))}
    ON CONFLICT (edition_id, subscriber_id) DO NOTHING`.execute(db);
  const created = Number(result.numAffectedRows ?? 0);
  // Fresh statistics before the first claim. Without them the planner still thinks the table is
  // as small as before this INSERT and plans the claim as a bitmap scan plus a sort over every due
  // row (680 ms per claim with 1M rows, measured by bench/run.ts) instead of the deliveries_due
  // index range (under 1 ms); autovacuum would only notice a minute after the commit.
  if (created >= 1000) await sql`ANALYZE deliveries`.execute(db);
  return created;
}
