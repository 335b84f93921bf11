import { parse as parseCron } from 'node-cron';
import { parseIsoDate, zonedTimeToUtc } from '../ranking/index.js';

/** One send slot on one date: when it goes out and the 24 h of stories it covers. */
export interface EditionWindow {
  /** 'YYYY-MM-DD' in the digest's time zone */
  readonly date: string;
  /** 'HH:MM' local time of the slot, which names it */
  readonly slot: string;
  readonly sendAt: Date;
  readonly start: Date;
  readonly end: Date;
}

export class EditionWindowError extends Error {
  readonly code = 'EDITION_WINDOW';
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(hint ? `${message} (${hint})` : message);
    this.name = 'EditionWindowError';
  }
}

const DAY_MS = 24 * 3_600_000;

/**
 * The send slots of `cron` in `timeZone` on `date`, earliest first. Each edition covers the stories
 * published in the 24 h before its send time (design.md, "Editions and time").
 */
export function editionWindows(date: string, cron: string, timeZone: string): EditionWindow[] {
  const day = parseIsoDate(date);
  if (!day) throw new EditionWindowError(`"${date}" is not a date`, 'use YYYY-MM-DD');
  const fields = parseCron(cron);
  const weekday = new Date(Date.UTC(day.year, day.month - 1, day.day)).getUTCDay();
  const dayMatches =
    fields.month.includes(day.month) && fields.dayOfMonth.includes(day.day) && fields.dayOfWeek.some((d) => Number(d) % 7 === weekday);
  if (!dayMatches) return [];
  const windows: EditionWindow[] = [];
  for (const hour of [...fields.hour].sort((a, b) => a - b)) {
    for (const minute of [...fields.minute].sort((a, b) => a - b)) {
      const sendAt = zonedTimeToUtc(day, hour, minute, timeZone);
      const slot = `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
      windows.push({ date, slot, sendAt, start: new Date(sendAt.getTime() - DAY_MS), end: sendAt });
    }
  }
  return windows;
}

/** The first send slot on `date`; an error that says so when the schedule does not send that day. */
export function editionWindow(date: string, cron: string, timeZone: string): EditionWindow {
  const first = editionWindows(date, cron, timeZone)[0];
  if (!first) {
    throw new EditionWindowError(`DIGEST_CRON "${cron}" has no send slot on ${date}`, 'pick a date on which the schedule sends');
  }
  return first;
}
