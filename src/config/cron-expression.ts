/**
 * What is wrong with a cron expression (DIGEST_CRON, FEED_CRON), in our words: which field, what it
 * may hold, what it got ("hour must be 0–23, got 25"). The scheduler runs node-cron; its own messages
 * ("25 is a invalid expression for hour") name neither the range nor, for a 5-field expression, the
 * right count of fields. Pure; env.schema.ts keeps node-cron's check behind this one as a last word.
 *
 * Accepted, as node-cron reads it: 5 fields (minute hour day-of-month month day-of-week) or 6 (second
 * first); in each, `*`, a number, a range `a-b` (a > b wraps: hour 22-2 is 22, 23, 0, 1, 2), a step
 * `*\/n` or `a-b/n`, and lists of those `a,b`; names for months (jan–dec) and weekdays (sun–sat);
 * `?` for a whole day field; the shorthands @yearly, @monthly, @weekly, @daily, @midnight, @hourly.
 * Refused although node-cron takes them: L, W and # (last day, nearest weekday, nth weekday), because
 * the editions of a date are planned from plain days (editions/edition-window.ts) and such a schedule
 * would fire with no edition to send.
 */

interface Field {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Names for the values, the first standing for `min`. */
  readonly names?: readonly (readonly [short: string, full: string])[];
  /** How the allowed values are said: "0–23". */
  readonly range: string;
  /** `?` may stand for the whole field (the day fields). */
  readonly question?: boolean;
}

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const named = (names: readonly string[]) => names.map((n) => [n.slice(0, 3), n] as const);

const SECOND: Field = { name: 'second', min: 0, max: 59, range: '0–59' };
const MINUTE: Field = { name: 'minute', min: 0, max: 59, range: '0–59' };
const HOUR: Field = { name: 'hour', min: 0, max: 23, range: '0–23' };
const DAY_OF_MONTH: Field = { name: 'day of month', min: 1, max: 31, range: '1–31', question: true };
const MONTH: Field = { name: 'month', min: 1, max: 12, names: named(MONTHS), range: '1–12 or jan–dec' };
const DAY_OF_WEEK: Field = {
  name: 'day of week',
  min: 0,
  max: 7,
  names: named(WEEKDAYS),
  range: '0–7 (0 and 7 are Sunday) or sun–sat',
  question: true,
};

/** The fields of a 6-field expression; a 5-field one has no second. */
export const CRON_FIELDS: readonly Field[] = [SECOND, MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK];

const SHORTHANDS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** Longest day of each month (February: 29, as node-cron counts). */
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

class FieldProblem extends Error {}

/** A value of `field` written as a number or a name; throws a FieldProblem naming the field. */
function valueIn(field: Field, text: string): number {
  let n: number | undefined;
  if (/^\d+$/.test(text)) n = Number(text);
  else {
    const i = field.names?.findIndex(([short, full]) => text.toLowerCase() === short || text.toLowerCase() === full) ?? -1;
    if (i >= 0) n = field.min + i;
  }
  if (n === undefined) {
    throw new FieldProblem(
      /^[a-z]+$/i.test(text) && !field.names
        ? `${field.name} must be ${field.range}, got "${text}" (names are for months and days of the week)`
        : `${field.name} must be ${field.range}, got "${text}"`,
    );
  }
  if (n < field.min || n > field.max) throw new FieldProblem(`${field.name} must be ${field.range}, got ${text}`);
  return n;
}

/** The values one list entry of `field` stands for (a range that runs backwards wraps round). */
function entryValues(field: Field, entry: string): number[] {
  if (entry === '') throw new FieldProblem(`${field.name} has an empty entry in its list (two commas, or one at an end)`);
  if (entry === '?')
    throw new FieldProblem(`${field.name}: ? may only stand for the whole field, and only for day of month or day of week`);
  // node-cron's own tokens: L, L-3, 15W, LW, 5L, 1#2.
  if (entry.includes('#') || /^(l|l-\d{1,2}|(\d{1,2}|l)w|[0-7]l)$/i.test(entry)) {
    throw new FieldProblem(
      `${field.name} "${entry}": L, W and # (last day, nearest weekday, nth weekday) are not supported here; use numbers, ranges, steps or lists`,
    );
  }
  const [body, stepText, extra] = entry.split('/');
  if (extra !== undefined) throw new FieldProblem(`${field.name} "${entry}" has more than one step (/)`);
  let step = 1;
  if (stepText !== undefined) {
    if (!/^\d+$/.test(stepText)) throw new FieldProblem(`${field.name} step must be a whole number of 1 or more, got "${stepText}"`);
    step = Number(stepText);
    if (step < 1) throw new FieldProblem(`${field.name} step must be 1 or more, got ${stepText}`);
  }
  let from: number;
  let to: number;
  if (body === '*') {
    from = field.min;
    // `*` over the days of the week is 0–6: 7 is Sunday again.
    to = field === DAY_OF_WEEK ? 6 : field.max;
  } else if (body!.includes('-')) {
    const [a, b, more] = body!.split('-');
    if (a === '' && more === undefined && /^\d+$/.test(b!)) throw new FieldProblem(`${field.name} must be ${field.range}, got ${body}`);
    if (more !== undefined || a === '' || b === '') {
      throw new FieldProblem(`${field.name} "${entry}" is not a range: write it as a-b, both ${field.range}`);
    }
    from = valueIn(field, a!);
    to = valueIn(field, b!);
  } else {
    if (stepText !== undefined) {
      throw new FieldProblem(
        `${field.name} "${entry}": a step (/${stepText}) follows * or a range (*/${stepText}, ${body}-${field.max}/${stepText})`,
      );
    }
    return [valueIn(field, body!)];
  }
  const out: number[] = [];
  if (from <= to) {
    for (let v = from; v <= to; v += step) out.push(v);
  } else {
    // Backwards: round the end of the field and on from its start, as node-cron reads it.
    const top = field === DAY_OF_WEEK ? 6 : field.max;
    const size = top - field.min + 1;
    const span = (((to - from) % size) + size) % size;
    for (let offset = 0; offset <= span; offset += step) out.push(from + offset > top ? from + offset - size : from + offset);
  }
  return out;
}

/** The values a whole field stands for, or undefined for `*` and `?` (any). */
function fieldValues(field: Field, text: string): Set<number> | undefined {
  if (text === '?' && field.question) return undefined;
  if (text === '*') return undefined;
  return new Set(text.split(',').flatMap((entry) => entryValues(field, entry)));
}

/**
 * What is wrong with `expression`, in one clause ("hour must be 0–23, got 25"), or undefined when
 * the scheduler can run it.
 */
export function cronProblem(expression: string): string | undefined {
  const trimmed = expression.trim();
  if (trimmed === '') return 'it is empty; it needs 5 fields (minute hour day-of-month month day-of-week), e.g. "0 6 * * *"';
  let text = trimmed;
  if (text.startsWith('@')) {
    const full = SHORTHANDS[text.toLowerCase()];
    if (!full) return `${text} is not one of the shorthands (${Object.keys(SHORTHANDS).join(', ')})`;
    text = full;
  }
  const odd = /[^a-zA-Z0-9*/,?#\- ]/.exec(text);
  if (odd) return `it holds ${JSON.stringify(odd[0])}, which no cron field uses (fields are separated by spaces)`;
  const parts = text.split(/ +/);
  if (parts.length !== 5 && parts.length !== 6) {
    return `it has ${parts.length} field${parts.length === 1 ? '' : 's'}; it needs 5 (minute hour day-of-month month day-of-week) or 6 (second first)`;
  }
  const fields = parts.length === 5 ? CRON_FIELDS.slice(1) : CRON_FIELDS;
  const values: (Set<number> | undefined)[] = [];
  for (const [i, field] of fields.entries()) {
    try {
      values.push(fieldValues(field, parts[i]!));
    } catch (err) {
      if (err instanceof FieldProblem) return err.message;
      throw err;
    }
  }
  // Every day 1–31 comes in some month: only days and months both narrowed can never meet.
  const days = values[fields.indexOf(DAY_OF_MONTH)];
  const months = values[fields.indexOf(MONTH)];
  if (days && months && [...months].every((m) => [...days].every((d) => d > MONTH_DAYS[m - 1]!))) {
    return `day of month ${parts[fields.indexOf(DAY_OF_MONTH)]} never comes in month ${parts[fields.indexOf(MONTH)]}: it would never run`;
  }
  return undefined;
}
