/**
 * An edition's public address, the one mapping between a slot and its URL path segment: the email's
 * "view in browser" link, the archive, RSS and the route that serves them all call these.
 *
 *   /editions/2026-11-25                 the date's main edition (its first daily slot)
 *   /editions/2026-11-25/06-00           daily slot '06:00'
 *   /editions/2026-11-25/weekly-06-00    weekly slot 'weekly 06:00'
 *   /editions/2026-11-25/22-00z          readers' own hour, slot '22:00Z' (UTC time)
 *   /editions/2026-11-25/22-00z-1d       readers' own hour, slot '22:00Z-1d' (22:00 UTC the day before)
 *
 * Slots are made only by src/editions/edition-specs.ts, in exactly these shapes; another shape is a
 * bug, and an error here beats a link that shows some other edition's stories.
 * Rejected: encodeURIComponent(slot) ('weekly%2006%3A00'): reversible but unreadable in a mail.
 */
const HM = '([01]\\d|2[0-3])';
const MIN = '([0-5]\\d)';
const UTC = '(?:(Z)(?:([+-])([12])d)?)?';
const SLOT = new RegExp(`^(weekly )?${HM}:${MIN}${UTC}$`);
const SEGMENT = new RegExp(`^(weekly-)?${HM}-${MIN}${UTC.replace('(Z)', '(z)')}$`);

/** '06:00' → '06-00', 'weekly 06:00' → 'weekly-06-00', '22:00Z' → '22-00z', '22:00Z-1d' → '22-00z-1d'. */
export function slotSegment(slot: string): string {
  const m = SLOT.exec(slot);
  if (!m) throw new Error(`edition slot "${slot}" has no URL form (expected HH:MM, weekly HH:MM or HH:MMZ with an optional ±Nd)`);
  return `${m[1] ? 'weekly-' : ''}${m[2]}-${m[3]}${m[4] ? 'z' : ''}${m[5] ? `${m[5]}${m[6]}d` : ''}`;
}

/** The inverse of slotSegment; undefined for anything it does not make. */
export function slotFromSegment(segment: string): string | undefined {
  const m = SEGMENT.exec(segment);
  return m ? `${m[1] ? 'weekly ' : ''}${m[2]}:${m[3]}${m[4] ? 'Z' : ''}${m[5] ? `${m[5]}${m[6]}d` : ''}` : undefined;
}

/** The path of an edition's page; without a slot, the date's main edition. */
export function editionPath(date: string, slot?: string): string {
  return slot === undefined ? `/editions/${date}` : `/editions/${date}/${slotSegment(slot)}`;
}
