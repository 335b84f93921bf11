import { isTimeZone, type Config } from '../config/index.js';
import type { Db, Edition } from '../db/index.js';
import { editionsDated } from './edition.repository.js';
import { specsFor, type Audience, type EditionSpec } from './edition-specs.js';

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
      return isTimeZone(timeZone) ? [{ timeZone, hour: h.send_hour! }] : [];
    }),
  };
}

/** Every edition of `date` for the readers there are now (edition-specs.ts specsFor). */
export async function editionsOfDate(db: Db, config: Config, date: string): Promise<EditionSpec[]> {
  return specsFor(config, date, await readAudience(db, config));
}

/**
 * The date's editions with their rows, earliest first: every spec (with its row once created) and any
 * row whose spec is gone (a reader changed their hour after it went out). The admin's Send list.
 */
export async function editionsOfDateWithRows(
  db: Db,
  config: Config,
  date: string,
): Promise<{ spec: EditionSpec; row: Edition | undefined }[]> {
  const [specs, rows] = await Promise.all([editionsOfDate(db, config, date), editionsDated(db, [date])]);
  const bySlot = new Map(rows.map((r) => [r.slot, r]));
  const orphans = rows
    .filter((r) => !specs.some((s) => s.slot === r.slot))
    .map(
      (r): EditionSpec => ({
        date: r.date,
        slot: r.slot,
        kind: r.kind,
        sendAt: r.send_at,
        windowStart: r.window_start,
        windowEnd: r.window_end,
      }),
    );
  return [...specs, ...orphans]
    .sort((a, b) => a.sendAt.getTime() - b.sendAt.getTime())
    .map((spec) => ({ spec, row: bySlot.get(spec.slot) }));
}
