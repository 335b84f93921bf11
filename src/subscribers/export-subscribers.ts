import type { Db, SubscriberStatus } from '../db/index.js';

export const EXPORT_COLUMNS = [
  'email', 'name', 'status', 'timezone', 'send_hour', 'frequency', 'weekday', 'sections', 'created_at', 'confirmed_at', 'unsubscribed_at',
] as const;

/** One CSV cell: quoted when needed; text a spreadsheet would run as a formula is defused with a '. */
function cell(value: unknown, formulaGuard: boolean): string {
  if (value === null || value === undefined) return '';
  let s = value instanceof Date ? value.toISOString() : Array.isArray(value) ? value.join(' ') : String(value);
  if (formulaGuard && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
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
  await write(EXPORT_COLUMNS.join(',') + '\r\n');
  let after = 0;
  let count = 0;
  for (;;) {
    let q = db.selectFrom('subscribers').select(['id', ...EXPORT_COLUMNS]).where('id', '>', after).orderBy('id').limit(1000);
    if (options.status) q = q.where('status', '=', options.status);
    const page = await q.execute();
    if (page.length === 0) return count;
    const lines = page.map((r) => EXPORT_COLUMNS.map((c) => cell(r[c], c === 'name')).join(',') + '\r\n');
    await write(lines.join(''));
    count += page.length;
    after = page[page.length - 1]!.id;
  }
}
