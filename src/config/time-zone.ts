/** Zones already judged: building an Intl.DateTimeFormat costs about 50 µs, and a CSV import asks per row. */
const judged = new Map<string, boolean>();

/**
 * Whether the runtime knows `zone` as an IANA time zone (Intl's own list, so DIGEST_TZ, a reader's
 * zone and the zones the scheduler plans for are judged alike). The one place this is decided:
 * DIGEST_TZ at config load, a reader's form and CSV import, the audience of an edition.
 */
export function isTimeZone(zone: string): boolean {
  const known = judged.get(zone);
  if (known !== undefined) return known;
  let ok: boolean;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    ok = true;
  } catch {
    ok = false;
  }
  // Bounded: hostile input (a CSV of a million made-up zones) must not grow it without end.
  if (judged.size < 1_000) judged.set(zone, ok);
  return ok;
}
