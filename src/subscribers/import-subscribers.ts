import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import { parseSubscriberCsv, type RowProblem } from './csv-rows.js';
import { emailHash } from './suppression.repository.js';

export interface ImportResult {
  readonly inserted: number;
  /** Existing pending or active subscribers whose name or time zone the file filled in. */
  readonly updated: number;
  readonly duplicates: number;
  /** Rejected lines (bad address, unreadable CSV, "unsubscribed" in the export, suppressed, …). */
  readonly problems: RowProblem[];
}

const CHUNK = 500;

/**
 * `digest subscribers import`: rows become active subscribers (the operator vouches for their consent
 * in the tool they come from). Idempotent: an address already here is merged, never duplicated.
 * Readers who unsubscribed or bounced here, and suppressed addresses (bounced, complained, erased),
 * are left alone and reported: an import must never undo an opt-out.
 */
export async function importSubscribers(db: Db, csvText: string): Promise<ImportResult> {
  const parsed = parseSubscriberCsv(csvText);
  const problems = [...parsed.problems];
  let inserted = 0;
  let updated = 0;
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < parsed.rows.length; i += CHUNK) {
      const chunk = parsed.rows.slice(i, i + CHUNK);
      const suppressed = new Set(
        (await trx.selectFrom('suppressions').select('email_hash').where('email_hash', 'in', chunk.map((r) => emailHash(r.email))).execute()).map((r) => r.email_hash),
      );
      const wanted = chunk.filter((r) => {
        if (!suppressed.has(emailHash(r.email))) return true;
        problems.push({ line: r.line, message: `${r.email} is on the suppression list (bounced, complained or erased): not imported` });
        return false;
      });
      if (wanted.length === 0) continue;
      // ON CONFLICT … WHERE: an existing pending/active row is merged (pending becomes active); an
      // unsubscribed or bounced one is not touched and comes back without a row, so it is reported.
      const rows = await trx
        .insertInto('subscribers')
        .values(wanted.map((r) => ({ email: r.email, name: r.name, timezone: r.timezone, status: 'active' as const, confirmed_at: sql<Date>`now()` })))
        .onConflict((oc) =>
          oc
            .column('email')
            .doUpdateSet({
              name: sql`coalesce(excluded.name, subscribers.name)`,
              timezone: sql`coalesce(excluded.timezone, subscribers.timezone)`,
              status: 'active',
              confirmed_at: sql`coalesce(subscribers.confirmed_at, now())`,
              updated_at: sql`now()`,
            })
            .where('subscribers.status', 'in', ['pending', 'active']),
        )
        .returning(['id', 'email', sql<boolean>`(xmax = 0)`.as('inserted')])
        .execute();
      const back = new Set(rows.map((r) => r.email.toLowerCase()));
      for (const r of wanted) {
        if (!back.has(r.email.toLowerCase())) problems.push({ line: r.line, message: `${r.email} unsubscribed or bounced here before: left as it is` });
      }
      const fresh = rows.filter((r) => r.inserted);
      inserted += fresh.length;
      updated += rows.length - fresh.length;
      if (fresh.length > 0) {
        await trx.insertInto('subscriber_events').values(fresh.map((r) => ({ subscriber_id: r.id, type: 'imported' as const }))).execute();
      }
    }
  });
  problems.sort((a, b) => a.line - b.line);
  return { inserted, updated, duplicates: parsed.duplicates, problems };
}
