/**
 * Whether the runtime knows `zone` as an IANA time zone (Intl's own list, so DIGEST_TZ, a reader's
 * zone and the zones the scheduler plans for are judged alike). The one place this is decided:
 * DIGEST_TZ at config load, a reader's form and CSV import, the audience of an edition.
 */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
