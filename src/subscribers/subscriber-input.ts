import { defaultLocale, isTimeZone as isZone, type Locale } from '../config/index.js';
import type { DigestSection, Frequency } from '../db/index.js';

/** Parsing of the reader-supplied fields other than the address (forms, JSON, CSV). */
export const SECTIONS: readonly DigestSection[] = ['stories', 'blogs'];

/**
 * A display name: controls removed (it reaches mail headers' neighbourhood), and bidi overrides and
 * isolates too (an unclosed U+202E would reverse the rest of the greeting line, as cleanLine does for
 * stories); whitespace collapsed; 100 characters, never cutting an emoji's surrogate pair in half.
 */
export function cleanName(input: unknown): string | null {
  if (typeof input !== 'string') return null;
  const name = input
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
    .replace(/[\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 100)
    .replace(/[\ud800-\udbff]$/, '');
  return name === '' ? null : name;
}

/** Sections from a form (one value or repeated) or JSON array; unknown values dropped; none → null. */
export function parseSections(input: unknown): DigestSection[] | null {
  const values = Array.isArray(input) ? input : input === undefined || input === null ? [] : [input];
  const picked = SECTIONS.filter((s) => values.includes(s));
  return picked.length > 0 ? picked : null;
}

/** A reader's time zone as sent by a form or a CSV file: a string of sane length, and a zone (config/time-zone.ts). */
export function isTimeZone(tz: unknown): boolean {
  return typeof tz === 'string' && tz.length > 0 && tz.length <= 64 && isZone(tz);
}

export interface Preferences {
  readonly name: string | null;
  readonly sections: DigestSection[];
  readonly frequency: Frequency;
  /** 0 = Sunday … 6 = Saturday; only for weekly. */
  readonly weekday: number | null;
  /** Local hour 0–23, or null for the site's default slot. */
  readonly send_hour: number | null;
  /** IANA zone, or null for the site's DIGEST_TZ. */
  readonly timezone: string | null;
}

export type PreferencesResult = { ok: true; value: Preferences } | { ok: false; errors: Record<string, string> };

function intIn(v: unknown, min: number, max: number): number | null | undefined {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

/** The preferences form, validated whole: every bad field gets its own message, in `locale`. */
export function parsePreferences(body: Record<string, unknown>, locale: Locale = defaultLocale()): PreferencesResult {
  const errors: Record<string, string> = {};
  const problem = (field: string) => locale.t(`preferences.error.${field}`);
  const sections = parseSections(body.sections);
  if (!sections) errors.sections = problem('sections');
  const frequency =
    body.frequency === 'weekly' ? 'weekly' : body.frequency === 'daily' || body.frequency === undefined ? 'daily' : undefined;
  if (!frequency) errors.frequency = problem('frequency');
  let weekday = intIn(body.weekday, 0, 6);
  if (weekday === undefined) errors.weekday = problem('weekday');
  if (frequency === 'weekly' && weekday === null) weekday = 1;
  const sendHour = intIn(body.send_hour, 0, 23);
  if (sendHour === undefined) errors.send_hour = problem('send_hour');
  const tz = typeof body.timezone === 'string' && body.timezone !== '' ? body.timezone : null;
  if (tz !== null && !isTimeZone(tz)) errors.timezone = problem('timezone');
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      name: cleanName(body.name),
      sections: sections!,
      frequency: frequency!,
      weekday: frequency === 'weekly' ? (weekday ?? 1) : null,
      send_hour: sendHour ?? null,
      timezone: tz,
    },
  };
}
