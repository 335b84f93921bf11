import type { Config } from '../config/index.js';
import type { Db } from '../db/index.js';
import { isValidTimeZone } from '../ranking/index.js';
import { specsFor, type Audience, type EditionSpec } from './edition.spec.js';

/** The weekdays and own hours of the active readers: what decides a date's weekly and hourly editions. */
export async function readAudience(db: Db, config: Config): Promise<Audience> {
  const [weekly, hours] = await Promise.all([
    db.selectFrom('subscribers').select('weekday').distinct().where('status', '=', 'active').where('frequency', '=', 'weekly').execute(),
    db
      .selectFrom('subscribers')
      .select(['timezone', 'send_hour'])
      .distinct()
      .where('status', '=', 'active')
      .where('frequency', '=', 'daily')
      .where('send_hour', 'is not', null)
      .execute(),
  ]);
  return {
    weeklyDays: new Set(weekly.map((r) => r.weekday ?? 1)),
    // A zone the runtime does not know is left out here, as the deliveries INSERT … SELECT leaves it out.
    hours: hours.flatMap((h) => {
      const timeZone = h.timezone ?? config.digest.timeZone;
      return isValidTimeZone(timeZone) ? [{ timeZone, hour: h.send_hour! }] : [];
    }),
  };
}

/** Every edition of `date` for the readers there are now (edition.spec.ts specsFor). */
export async function editionsOfDate(db: Db, config: Config, date: string): Promise<EditionSpec[]> {
  return specsFor(config, date, await readAudience(db, config));
}
