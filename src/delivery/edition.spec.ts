import type { Config } from '../config/index.js';
import type { EditionKind } from '../db/index.js';
import { editionWindows, parseIsoDate, zonedTimeToUtc } from '../ranking/index.js';

/** What identifies an edition before it exists: (date, slot) is its unique key. */
export interface EditionSpec {
  readonly date: string;
  readonly slot: string;
  readonly kind: EditionKind;
  readonly sendAt: Date;
  readonly windowStart: Date;
  readonly windowEnd: Date;
}

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
  return { date, slot: `weekly ${first.slot}`, kind: 'weekly', sendAt: first.sendAt, windowStart: new Date(first.sendAt.getTime() - 7 * DAY_MS), windowEnd: first.sendAt };
}

/**
 * The edition for readers whose chosen hour starts at `sendAt` (a UTC instant on a whole local hour
 * of some time zone). Named by its UTC date and time (`14:00Z`), so readers in different zones whose
 * hours coincide share one edition, rendered once.
 */
export function hourlySpec(sendAt: Date): EditionSpec {
  const iso = sendAt.toISOString();
  return { date: iso.slice(0, 10), slot: `${iso.slice(11, 16)}Z`, kind: 'hourly', sendAt, windowStart: new Date(sendAt.getTime() - DAY_MS), windowEnd: sendAt };
}

/** The instant a reader's hour starts on their local `date`. */
export function readerSendAt(date: string, hour: number, timeZone: string): Date {
  const d = parseIsoDate(date);
  if (!d) throw new Error(`"${date}" is not a date`);
  return zonedTimeToUtc(d, hour, 0, timeZone);
}

/** An edition past its cutoff (slot + SEND_CUTOFF_HOURS) is never sent. */
export function cutoffOf(config: Config, sendAt: Date): Date {
  return new Date(sendAt.getTime() + config.digest.cutoffHours * HOUR_MS);
}
