import { parse } from 'csv-parse/sync';
import { parseEmailAddress } from './email-address.js';
import { cleanName, isTimeZone } from './subscriber-input.js';

/**
 * Pure half of `digest subscribers import`: CSV text → subscriber rows, with every rejected line
 * named by its line number. Accepts our own `email,name[,timezone]` with or without a header, and
 * exports from listmonk (`uuid,email,name,attributes,status,…`) and Mailchimp (`Email Address,
 * First Name,Last Name,…,TIMEZONE`) as they are. Handles a BOM, CRLF or LF, quoted commas.
 */
export interface ImportRow {
  readonly line: number;
  readonly email: string;
  readonly name: string | null;
  readonly timezone: string | null;
}

export interface RowProblem {
  readonly line: number;
  readonly message: string;
}

export interface ParsedCsv {
  readonly rows: ImportRow[];
  readonly problems: RowProblem[];
  /** Lines dropped because the same address came earlier in the file (its details were merged). */
  readonly duplicates: number;
}

const norm = (h: string) =>
  h
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ');
const EMAIL = ['email', 'email address', 'e mail', 'e mail address', 'mail'];
const NAME = ['name', 'full name'];
const FIRST = ['first name', 'firstname', 'fname', 'given name'];
const LAST = ['last name', 'lastname', 'lname', 'surname', 'family name'];
const TZ = ['timezone', 'time zone', 'tz'];
const STATUS = ['status', 'subscription status'];
/** Statuses in other tools' exports that mean "do not mail" (listmonk, Mailchimp). */
const NOT_SUBSCRIBED = new Set(['blocklisted', 'blacklisted', 'unsubscribed', 'cleaned', 'bounced', 'disabled']);

interface Columns {
  email: number;
  name?: number;
  first?: number;
  last?: number;
  timezone?: number;
  status?: number;
}

function headerColumns(cells: string[]): Columns | undefined {
  const names = cells.map(norm);
  const find = (options: string[]) => {
    const i = names.findIndex((n) => options.includes(n));
    return i >= 0 ? i : undefined;
  };
  const email = find(EMAIL);
  if (email === undefined) return undefined;
  const c: Columns = { email };
  const set = (k: keyof Omit<Columns, 'email'>, options: string[]) => {
    const i = find(options);
    if (i !== undefined) c[k] = i;
  };
  set('name', NAME);
  set('first', FIRST);
  set('last', LAST);
  set('timezone', TZ);
  set('status', STATUS);
  return c;
}

/**
 * A cell quoted for a problem line: JSON escapes keep a CR/LF or NUL in a hostile file from breaking
 * the report into forged lines on the operator's terminal (bidi overrides and C1 controls too).
 */
function quoted(cell: string, max: number): string {
  return JSON.stringify(cell.slice(0, max)).replace(
    /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export function parseSubscriberCsv(text: string): ParsedCsv {
  const problems: RowProblem[] = [];
  // One line ending throughout: csv-parse counts a CRLF inside a quoted field as two lines.
  const records = parse(text.replace(/\r\n?/g, '\n'), {
    bom: true,
    info: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (err: { lines?: number; message: string } | undefined) => {
      if (err) problems.push({ line: err.lines ?? 0, message: `unreadable CSV: ${err.message}` });
    },
  }) as unknown as { record: string[]; info: { lines: number } }[];
  // csv-parse reports the line a record ends on; a quoted field may span lines, so step back to its start.
  for (const r of records) r.info.lines -= r.record.reduce((n, c) => n + (c.match(/\n/g)?.length ?? 0), 0);

  const first = records[0];
  if (!first) return { rows: [], problems, duplicates: 0 };
  const looksLikeData = first.record.some((cell) => parseEmailAddress(cell).ok);
  const header = looksLikeData ? undefined : headerColumns(first.record);
  if (!looksLikeData && !header) {
    problems.unshift({ line: first.info.lines, message: 'the first line is neither an address nor a header with an email column' });
  }
  const columns: Columns = header ?? { email: 0, name: 1, timezone: 2 };
  const body = header || !looksLikeData ? records.slice(1) : records;

  const byAddress = new Map<string, ImportRow>();
  let duplicates = 0;
  for (const { record, info } of body) {
    const line = info.lines;
    const cell = (i: number | undefined) => (i === undefined ? '' : (record[i] ?? '').trim());
    if (record.every((c) => c.trim() === '')) continue;
    const address = parseEmailAddress(cell(columns.email));
    if (!address.ok) {
      problems.push({ line, message: `${quoted(cell(columns.email), 80)} is not a valid address (${address.problem.replace('_', ' ')})` });
      continue;
    }
    const status = cell(columns.status).toLowerCase();
    if (NOT_SUBSCRIBED.has(status)) {
      problems.push({ line, message: `${address.email} is "${status}" in the export: not imported` });
      continue;
    }
    const name = cleanName(cell(columns.name) || [cell(columns.first), cell(columns.last)].filter(Boolean).join(' '));
    const tzText = cell(columns.timezone);
    let timezone: string | null = null;
    if (tzText !== '') {
      if (isTimeZone(tzText)) timezone = tzText;
      else problems.push({ line, message: `time zone ${quoted(tzText, 40)} is not an IANA zone: imported without it` });
    }
    const key = address.email.toLowerCase();
    const earlier = byAddress.get(key);
    if (earlier) {
      duplicates += 1;
      byAddress.set(key, { ...earlier, name: name ?? earlier.name, timezone: timezone ?? earlier.timezone });
    } else {
      byAddress.set(key, { line, email: address.email, name, timezone });
    }
  }
  problems.sort((a, b) => a.line - b.line);
  return { rows: [...byAddress.values()], problems, duplicates };
}
