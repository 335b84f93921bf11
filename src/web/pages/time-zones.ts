/**
 * The time-zone list of the preferences page. Intl.supportedValuesOf('timeZone') spells zones as ICU
 * does, and ICU keeps names IANA replaced long ago (Asia/Calcutta for Asia/Kolkata, Europe/Kiev for
 * Europe/Kyiv), on Node 20 and 24 alike. The page shows IANA's names, grouped by region; a reader's
 * stored old name, or a browser reporting one, still finds its zone through LEGACY.
 *
 * LEGACY is every name of supportedValuesOf that is not a zone of IANA's zone.tab, with the zone.tab
 * name for the same place (tzdata 2025: the 19 below; a test checks each maps to a zone Intl knows).
 */
export const LEGACY: Readonly<Record<string, string>> = {
  'Africa/Asmera': 'Africa/Asmara',
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
  'America/Catamarca': 'America/Argentina/Catamarca',
  'America/Coral_Harbour': 'America/Atikokan',
  'America/Cordoba': 'America/Argentina/Cordoba',
  'America/Godthab': 'America/Nuuk',
  'America/Indianapolis': 'America/Indiana/Indianapolis',
  'America/Jujuy': 'America/Argentina/Jujuy',
  'America/Louisville': 'America/Kentucky/Louisville',
  'America/Mendoza': 'America/Argentina/Mendoza',
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Europe/Kiev': 'Europe/Kyiv',
  'Pacific/Enderbury': 'Pacific/Kanton',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Truk': 'Pacific/Chuuk',
};

/** IANA's current name for a zone: "Asia/Kolkata" for "Asia/Calcutta"; other names unchanged. */
export function canonicalZone(zone: string): string {
  return LEGACY[zone] ?? zone;
}

export interface ZoneGroup {
  /** "Europe", "America", "Pacific"… the first part of the names. */
  readonly region: string;
  /** Each zone's IANA name, and its label in the list ("Argentina/Buenos Aires"), sorted by label. */
  readonly zones: readonly { readonly name: string; readonly label: string; readonly aliases: readonly string[] }[];
}

let groups: readonly ZoneGroup[] | undefined;

/** Every zone Intl knows, by its IANA name, grouped by region (regions and zones in alphabetical order). */
export function zoneGroups(): readonly ZoneGroup[] {
  if (groups) return groups;
  const supported = (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf('timeZone');
  const aliases = new Map<string, string[]>();
  for (const [old, current] of Object.entries(LEGACY)) aliases.set(current, [...(aliases.get(current) ?? []), old]);
  // UTC is no region's, and ICU lists it under Etc/ only: offered on its own for readers who want it.
  const names = [...new Set([...supported.map(canonicalZone), 'UTC'])];
  const byRegion = new Map<string, { name: string; label: string; aliases: string[] }[]>();
  for (const name of names) {
    const slash = name.indexOf('/');
    const region = slash === -1 ? 'Other' : name.slice(0, slash);
    const label = (slash === -1 ? name : name.slice(slash + 1)).replace(/_/g, ' ');
    byRegion.set(region, [...(byRegion.get(region) ?? []), { name, label, aliases: aliases.get(name) ?? [] }]);
  }
  groups = [...byRegion.entries()]
    .sort(([a], [b]) => a.localeCompare(b, 'en'))
    .map(([region, zones]) => ({ region, zones: zones.sort((a, b) => a.label.localeCompare(b.label, 'en')) }));
  return groups;
}

/** True when `zone` is in the list (by its IANA name or an old one). */
export function isListedZone(zone: string): boolean {
  const name = canonicalZone(zone);
  return zoneGroups().some((g) => g.zones.some((z) => z.name === name));
}
