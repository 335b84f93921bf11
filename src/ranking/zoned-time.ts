/** Wall-clock time in an IANA zone ⇄ UTC instants, with Intl only (no time-zone database of our own). */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday */
  weekday: number;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** The wall-clock reading of `instant` in `timeZone`. */
export function wallTime(instant: Date, timeZone: string): WallTime {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: WEEKDAYS.indexOf(parts.weekday ?? ''),
  };
}

/** The zone's offset from UTC at `instant`, in ms (positive east of Greenwich). */
function offsetAt(instant: number, timeZone: string): number {
  const w = wallTime(new Date(instant), timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(instant / 1000) * 1000;
}

/**
 * The UTC instant at which the clocks in `timeZone` show the given wall time, disambiguated as
 * Temporal's 'compatible' does: a repeated time (autumn) is its first occurrence; a skipped time
 * (spring) moves forward by the length of the gap (02:30 in a 02:00→03:00 jump is 03:30).
 */
export function zonedTimeToUtc(date: { year: number; month: number; day: number }, hour: number, minute: number, timeZone: string): Date {
  const target = Date.UTC(date.year, date.month - 1, date.day, hour, minute);
  // The offsets in force around the target: at most two, one each side of a transition.
  const offsets = [
    ...new Set([offsetAt(target - 86_400_000, timeZone), offsetAt(target, timeZone), offsetAt(target + 86_400_000, timeZone)]),
  ];
  const matches = offsets.map((o) => target - o).filter((t) => offsetAt(t, timeZone) === target - t);
  if (matches.length > 0) return new Date(Math.min(...matches));
  // In a gap the offset grows; reading the wall time with the earlier (smaller) offset lands after it.
  return new Date(target - Math.min(...offsets));
}

/** 'YYYY-MM-DD' of `instant` as seen in `timeZone`. */
export function localDate(instant: Date, timeZone: string): string {
  const w = wallTime(instant, timeZone);
  return `${w.year}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
}

export function parseIsoDate(date: string): { year: number; month: number; day: number } | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined;
  return { year, month, day };
}
