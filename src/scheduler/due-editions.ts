import type { Config } from '../config/index.js';
import type { Db } from '../db/index.js';
import { cutoffOf, dailySpecs, hourlySpec, readerSendAt, weeklySpec, type EditionSpec } from '../delivery/index.js';
import { localDate } from '../ranking/index.js';

const DAY_MS = 86_400_000;

/**
 * The editions whose send time has come and whose cutoff has not passed, as of `now`: the DIGEST_CRON
 * slots of today and yesterday (DIGEST_TZ), the weekly edition when a weekly reader's weekday has
 * come, and one hourly edition per instant at which some readers' chosen hour starts. An instance
 * started after a slot (it was down at 06:00) finds the missed slot here: that is the catch-up. A
 * missed DIGEST_CRON slot already past its cutoff is returned too, with `expired: true`, so it is
 * recorded as expired and logged rather than silently skipped.
 */
export async function dueEditions(db: Db, config: Config, now: Date): Promise<{ spec: EditionSpec; expired: boolean }[]> {
  const out: { spec: EditionSpec; expired: boolean }[] = [];
  const tz = config.digest.timeZone;
  const dates = [localDate(new Date(now.getTime() - DAY_MS), tz), localDate(now, tz)];
  const horizon = now.getTime() - DAY_MS; // older slots are not considered at all

  const weeklyDays = new Set(
    (await db.selectFrom('subscribers').select('weekday').distinct().where('status', '=', 'active').where('frequency', '=', 'weekly').execute()).map((r) => r.weekday ?? 1),
  );
  for (const date of dates) {
    for (const spec of dailySpecs(config, date)) {
      if (spec.sendAt <= now && spec.sendAt.getTime() > horizon) out.push({ spec, expired: now > cutoffOf(config, spec.sendAt) });
    }
    const weekly = weeklySpec(config, date);
    if (weekly && weekly.sendAt <= now && weekly.sendAt.getTime() > horizon && weeklyDays.has(new Date(`${date}T00:00:00Z`).getUTCDay())) {
      out.push({ spec: weekly, expired: now > cutoffOf(config, weekly.sendAt) });
    }
  }

  const hours = await db
    .selectFrom('subscribers')
    .select(['timezone', 'send_hour'])
    .distinct()
    .where('status', '=', 'active')
    .where('frequency', '=', 'daily')
    .where('send_hour', 'is not', null)
    .execute();
  const seen = new Set<number>();
  for (const h of hours) {
    const zone = validZone(h.timezone) ?? tz;
    for (const date of [localDate(new Date(now.getTime() - DAY_MS), zone), localDate(now, zone)]) {
      const at = readerSendAt(date, h.send_hour!, zone);
      if (at <= now && now <= cutoffOf(config, at) && !seen.has(at.getTime())) {
        seen.add(at.getTime());
        out.push({ spec: hourlySpec(at), expired: false });
      }
    }
  }
  return out.sort((a, b) => a.spec.sendAt.getTime() - b.spec.sendAt.getTime());
}

function validZone(zone: string | null): string | undefined {
  if (!zone) return undefined;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone;
  } catch {
    return undefined;
  }
}
