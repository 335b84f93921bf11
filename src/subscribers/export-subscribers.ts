import { stringify } from 'csv-stringify/sync';
import type { Db, SubscriberStatus } from '../db/index.js';

export const EXPORT_COLUMNS = [
  'email',
  'name',
  'status',
  'timezone',
  'send_hour',
  'frequency',
  'weekday',
  'sections',
  'created_at',
  'confirmed_at',
  'unsubscribed_at',
] as const;

/**
 * RFC 4180 as spreadsheets read it: CRLF after every record, and a field quoted when it holds a quote,
 * a comma, or a lone CR or LF (csv-stringify stops quoting those when given its own record delimiter,
 * unless told to).
 */
const CSV = { record_delimiter: '\r\n', quote_record_delimiter: true } as const;

/**
 * One cell's text. A name a spreadsheet would run as a formula is defused with a leading '. Only the
 * name: it is the one free text a stranger types in; an address may start with '-' or '+' and must
 * import back as it is.
 */
function cell(value: unknown, formulaGuard: boolean): string | null {
  if (value === null || value === undefined) return null;
  const s = value instanceof Date ? value.toISOString() : Array.isArray(value) ? value.join(' ') : String(value);
  return formulaGuard && /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

/**
 * `digest subscribers export`: CSV with a header row, in id order, read in pages (keyset on id) so a
 * large list never sits in memory. The output imports back with `digest subscribers import`.
 */
export async function exportSubscribers(
  db: Db,
  write: (chunk: string) => void | Promise<void>,
  options: { status?: SubscriberStatus } = {},
): Promise<number> {
  await write(stringify([EXPORT_COLUMNS], CSV));
  let after = 0;
  let count = 0;
  for (;;) {
    let q = db
      .selectFrom('subscribers')
      .select(['id', ...EXPORT_COLUMNS])
      .where('id', '>', after)
      .orderBy('id')
      .limit(1000);
    if (options.status) q = q.where('status', '=', options.status);
    const page = await q.execute();
    if (page.length === 0) return count;
    await write(
      stringify(
        page.map((r) => EXPORT_COLUMNS.map((c) => cell(r[c], c === 'name'))),
        CSV,
      ),
    );
    count += page.length;
    after = page[page.length - 1]!.id;
  }
}
