import type { Config } from '../../config/index.js';
import { addDays, editionWindows } from '../../editions/index.js';
import { localDate } from '../../ranking/index.js';

/**
 * When the usual edition reaches a reader, in the reader's own zone: "07:00 (Europe/Paris)" for
 * DIGEST_CRON "0 6 * * *" in UTC. Read from the schedule (never "morning": an operator may send at
 * 18:00), on the next day the schedule sends, so a DST change is taken as it will be.
 */
export interface UsualSendTime {
  /** "07:00", or "06:00 and 18:00" when the schedule sends more than once a day. */
  readonly time: string;
  readonly zone: string;
  /** The next send instants, for a page script that shows them in another zone. */
  readonly sendAt: readonly Date[];
}

export function usualSendTime(
  config: Pick<Config, 'digest' | 'locale'>,
  zone: string | null | undefined,
  now: Date,
): UsualSendTime | undefined {
  const scheduleZone = config.digest.timeZone;
  const readerZone = zone || scheduleZone;
  const today = localDate(now, scheduleZone);
  for (let d = 0; d < 8; d++) {
    const windows = editionWindows(addDays(today, d), config.digest.cron, scheduleZone);
    const coming = d === 0 ? windows.filter((w) => w.sendAt > now) : windows;
    if (coming.length === 0) continue;
    const times = [...new Set(coming.map((w) => clock(w.sendAt, readerZone)))];
    return { time: joinList(times, config.locale.tag), zone: readerZone, sendAt: coming.map((w) => w.sendAt) };
  }
  return undefined;
}

/** "07:00" on the 24-hour clock, in `zone`. */
export function clock(at: Date, zone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(
    at,
  );
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '00';
  return `${get('hour')}:${get('minute')}`;
}

function joinList(items: readonly string[], tag: string): string {
  return new Intl.ListFormat(tag, { style: 'long', type: 'conjunction' }).format(items);
}
