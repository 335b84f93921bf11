import type { Config } from '../config/index.js';
import { localDate } from '../ranking/index.js';
import { addDays, dailySpecs, readerSendAt, weekdayOf, weeklySpec } from './edition-specs.js';

/** What decides when a reader's digest comes: the columns of their preferences that say so. */
export interface ReaderSchedule {
  readonly frequency: 'daily' | 'weekly';
  /** 0 = Sunday; weekly readers with none get Monday's (edition-specs.ts, editions-of-date.ts). */
  readonly weekday: number | null;
  /** Their own hour, in their zone; null for the DIGEST_CRON editions. */
  readonly send_hour: number | null;
  readonly timezone: string | null;
}

/**
 * When the next edition this reader gets is sent, after `now`, by the same rule the scheduler
 * creates editions by (specsFor): a weekly reader's weekly edition on their weekday, a reader with an
 * hour of their own at that hour in their zone, anyone else the next DIGEST_CRON slot. Undefined when
 * the schedule sends nothing within eight days (a cron for 29 February). Pure; the preferences page
 * says it after "Saved." so a reader knows when their change takes effect.
 */
export function readerNextEdition(config: Config, reader: ReaderSchedule, now: Date): Date | undefined {
  const scheduleZone = config.digest.timeZone;
  const today = localDate(now, scheduleZone);
  for (let d = 0; d <= 8; d++) {
    const date = addDays(today, d);
    if (reader.frequency === 'weekly') {
      if (weekdayOf(date) !== (reader.weekday ?? 1)) continue;
      const weekly = weeklySpec(config, date);
      if (weekly && weekly.sendAt > now) return weekly.sendAt;
    } else if (reader.send_hour !== null) {
      const zone = reader.timezone || scheduleZone;
      const at = readerSendAt(addDays(localDate(now, zone), d), reader.send_hour, zone);
      if (at > now) return at;
    } else {
      const next = dailySpecs(config, date).find((s) => s.sendAt > now);
      if (next) return next.sendAt;
    }
  }
  return undefined;
}
