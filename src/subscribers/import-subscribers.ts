import type { Db } from '../db/index.js';
import { parseSubscriberCsv, type RowProblem } from './csv-rows.js';
import { importActive } from './subscriber-state.js';
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
        (
          await trx
            .selectFrom('suppressions')
            .select('email_hash')
            .where(
              'email_hash',
              'in',
              chunk.map((r) => emailHash(r.email)),
            )
            .execute()
        ).map((r) => r.email_hash),
      );
      const wanted = chunk.filter((r) => {
        if (!suppressed.has(emailHash(r.email))) return true;
        problems.push({ line: r.line, message: `${r.email} is on the suppression list (bounced, complained or erased): not imported` });
        return false;
      });
      if (wanted.length === 0) continue;
      const rows = await importActive(trx, wanted);
      const back = new Set(rows.map((r) => r.email.toLowerCase()));
      for (const r of wanted) {
        if (!back.has(r.email.toLowerCase()))
          problems.push({ line: r.line, message: `${r.email} unsubscribed or bounced here before: left as it is` });
      }
      const fresh = rows.filter((r) => r.inserted).length;
      inserted += fresh;
      updated += rows.length - fresh;
    }
  });
  problems.sort((a, b) => a.line - b.line);
  return { inserted, updated, duplicates: parsed.duplicates, problems };
}
