import type { Config } from '../config/index.js';
import type { EditionKind } from '../db/index.js';
import { localDate, parseIsoDate, zonedTimeToUtc } from '../ranking/index.js';
import { editionWindows } from './edition-window.js';

/**
 * Which editions exist for a date: the one rule the scheduler, `digest send`, the admin and the
 * archive all call (specsFor). Pure: the readers it depends on (weekly readers' weekdays, readers'
 * own hours) are passed in as an Audience, read by editions-of-date.ts.
 */
export interface EditionSpec {
  /** 'YYYY-MM-DD': DIGEST_TZ's date for daily and weekly editions, the readers' own for hourly ones. */
  readonly date: string;
  /** Names the edition within its date; (date, slot) is its unique key. */
  readonly slot: string;
  readonly kind: EditionKind;
  readonly sendAt: Date;
  readonly windowStart: Date;
  readonly windowEnd: Date;
}

/** The readers that decide which weekly and hourly editions a date has. */
export interface Audience {
  /** Weekdays (0 = Sunday) on which some active weekly reader gets the weekly edition. */
  readonly weeklyDays: ReadonlySet<number>;
  /** Distinct (time zone, hour) of active daily readers who chose their own hour. */
  readonly hours: readonly { readonly timeZone: string; readonly hour: number }[];
}

export const NO_AUDIENCE: Audience = { weeklyDays: new Set(), hours: [] };

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The DIGEST_CRON editions of `date` (usually one, `06:00`), for readers with no hour of their own. */
export function dailySpecs(config: Config, date: string): EditionSpec[] {
  return editionWindows(date, config.digest.cron, config.digest.timeZone).map((w) => ({
    date,
    slot: w.slot,
    kind: 'daily' as const,
    sendAt: w.sendAt,
    windowStart: w.start,
    windowEnd: w.end,
  }));
}

/**
 * The weekly edition of `date` at the day's first DIGEST_CRON slot, for weekly readers whose weekday
 * it is; it covers the 7 days before (consecutive weekly editions never overlap, so none repeats).
 */
export function weeklySpec(config: Config, date: string): EditionSpec | undefined {
  const first = editionWindows(date, config.digest.cron, config.digest.timeZone)[0];
  if (!first) return undefined;
  return {
    date,
    slot: `weekly ${first.slot}`,
    kind: 'weekly',
    sendAt: first.sendAt,
    windowStart: new Date(first.sendAt.getTime() - 7 * DAY_MS),
    windowEnd: first.sendAt,
  };
}

/**
 * The edition for readers whose chosen hour starts at `sendAt` (a UTC instant on a whole local hour
 * of some time zone) and whose local date is then `date`. Readers in different zones whose hours start
 * at the same instant on the same calendar day share one edition, rendered once, and each is dated as
 * their own calendar reads: a Tokyo reader's Monday 07:00 is Sunday 22:00 UTC, and their mail says
 * Monday. Named by the UTC time, with the UTC day when it is not the edition's date ('22:00Z-1d' on
 * Monday is Sunday 22:00 UTC), so two instants on one date (07:00 in Kiribati and in Honolulu, both
 * 17:00 UTC a day apart) never share a name.
 */
export function hourlySpec(sendAt: Date, date: string): EditionSpec {
  const iso = sendAt.toISOString();
  const days = Math.round((Date.parse(`${iso.slice(0, 10)}T00:00:00Z`) - Date.parse(`${date}T00:00:00Z`)) / DAY_MS);
  const slot = `${iso.slice(11, 16)}Z${days === 0 ? '' : `${days > 0 ? '+' : '-'}${Math.abs(days)}d`}`;
  return { date, slot, kind: 'hourly', sendAt, windowStart: new Date(sendAt.getTime() - DAY_MS), windowEnd: sendAt };
}

/** The instant a reader's hour starts on their local `date`. */
export function readerSendAt(date: string, hour: number, timeZone: string): Date {
  const d = parseIsoDate(date);
  if (!d) throw new Error(`"${date}" is not a date`);
  return zonedTimeToUtc(d, hour, 0, timeZone);
}

/** The cutoff an edition is created with: SEND_CUTOFF_HOURS after its send time (editions.cutoff_at). */
export function cutoffOf(config: Config, sendAt: Date): Date {
  return new Date(sendAt.getTime() + config.digest.cutoffHours * HOUR_MS);
}

/**
 * Every edition of `date`, earliest send time first: the DIGEST_CRON slots, the weekly edition when
 * some weekly reader's weekday it is, and one hourly edition per instant at which some readers' own
 * hour starts on their local `date`.
 */
export function specsFor(config: Config, date: string, audience: Audience): EditionSpec[] {
  const out = dailySpecs(config, date);
  const weekly = weeklySpec(config, date);
  if (weekly && audience.weeklyDays.has(weekdayOf(date))) out.push(weekly);
  const seen = new Set<number>();
  for (const { timeZone, hour } of audience.hours) {
    const at = readerSendAt(date, hour, timeZone);
    // A skipped hour (spring forward) lands on another local date only in theory; keep the reader's day.
    if (localDate(at, timeZone) !== date || seen.has(at.getTime())) continue;
    seen.add(at.getTime());
    out.push(hourlySpec(at, date));
  }
  return out.sort((a, b) => a.sendAt.getTime() - b.sendAt.getTime() || a.slot.localeCompare(b.slot));
}

/**
 * The daily edition an operator can send now: the earliest DIGEST_CRON slot whose cutoff is still
 * ahead. Between a slot and its cutoff that is the slot just passed; after the cutoff (a 06:00 slot,
 * at 22:34) it is the next one, whose window holds the stories published since the last. The demo
 * loads its stories into this edition and the admin's "Send now" offers it first.
 */
export function currentDailySpec(config: Config, now: Date): EditionSpec | undefined {
  // Calendar days, not 24 h steps: around a DST change 24 h from 23:00 is the day after tomorrow.
  const today = localDate(now, config.digest.timeZone);
  for (let d = -1; d <= 8; d++) {
    for (const spec of dailySpecs(config, addDays(today, d))) {
      if (cutoffOf(config, spec.sendAt) > now) return spec;
    }
  }
  return undefined;
}

/** The date of currentDailySpec, or today's in DIGEST_TZ when the schedule never sends: the default `--date`. */
export function currentEditionDate(config: Config, now: Date): string {
  return currentDailySpec(config, now)?.date ?? localDate(now, config.digest.timeZone);
}

/** The calendar date `days` after a 'YYYY-MM-DD' date. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** 0 = Sunday, for a 'YYYY-MM-DD' calendar date. */
export function weekdayOf(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}
