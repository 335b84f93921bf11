import type { Config } from '../config/index.js';
import type { Db } from '../db/index.js';
import { localDate } from '../ranking/index.js';
import { cutoffOf, specsFor, type EditionSpec } from './edition-specs.js';
import { readAudience } from './editions-of-date.js';

const DAY_MS = 86_400_000;

/**
 * The editions whose send time has come, as of `now`, from yesterday's and today's editions (specsFor:
 * the same rule `digest send` and the admin use). An instance started after a slot (it was down at
 * 06:00) finds the missed slot here: that is the catch-up. One already past its cutoff is returned
 * with `expired: true`, so it is recorded as expired and said, rather than silently skipped.
 */
export async function dueEditions(db: Db, config: Config, now: Date): Promise<{ spec: EditionSpec; expired: boolean }[]> {
  const audience = await readAudience(db, config);
  const horizon = now.getTime() - DAY_MS; // older slots are not considered at all
  // Hourly editions are dated in their readers' zones, which may be a day either side of DIGEST_TZ's.
  const dates = new Set<string>();
  for (const offset of [-2, -1, 0, 1]) dates.add(localDate(new Date(now.getTime() + offset * DAY_MS), 'UTC'));
  const out: { spec: EditionSpec; expired: boolean }[] = [];
  const seen = new Set<string>();
  for (const date of dates) {
    for (const spec of specsFor(config, date, audience)) {
      if (spec.sendAt > now || spec.sendAt.getTime() <= horizon) continue;
      const key = `${spec.date} ${spec.slot}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const expired = now > cutoffOf(config, spec.sendAt);
      // Readers' own hours: an hour already past its cutoff is simply not theirs today (they set it
      // after it went by); only DIGEST_CRON and weekly slots are reported as missed.
      if (expired && spec.kind === 'hourly') continue;
      out.push({ spec, expired });
    }
  }
  return out.sort((a, b) => a.spec.sendAt.getTime() - b.spec.sendAt.getTime());
}
