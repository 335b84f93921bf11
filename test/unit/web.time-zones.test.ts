import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalZone, isListedZone, LEGACY, zoneGroups } from '../../src/web/pages/time-zones.js';

/** The preferences page's zone list: IANA's current names, grouped by region, old names still found. */
describe('time-zone list', () => {
  const listed = zoneGroups().flatMap((g) => g.zones.map((z) => z.name));

  it('offers no outdated name, and each current one once', () => {
    for (const old of ['Asia/Calcutta', 'Asia/Saigon', 'Europe/Kiev', 'America/Buenos_Aires', 'Asia/Katmandu'])
      expect(listed).not.toContain(old);
    for (const current of ['Asia/Kolkata', 'Asia/Ho_Chi_Minh', 'Europe/Kyiv', 'America/Argentina/Buenos_Aires', 'Europe/Paris', 'UTC'])
      expect(listed).toContain(current);
    expect(new Set(listed).size).toBe(listed.length);
  });

  it('covers every zone Intl knows, under its current name', () => {
    const supported = (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf('timeZone');
    for (const z of supported) expect(listed, z).toContain(canonicalZone(z));
  });

  it('maps each old name to a zone Intl accepts, with the same offsets through the year', () => {
    for (const [old, current] of Object.entries(LEGACY)) {
      expect(() => new Intl.DateTimeFormat('en', { timeZone: current })).not.toThrow();
      for (const month of ['01', '07']) {
        const at = new Date(`2026-${month}-15T12:00:00Z`);
        const offset = (zone: string) => new Intl.DateTimeFormat('en', { timeZone: zone, timeZoneName: 'longOffset' }).format(at);
        expect(offset(current), `${old} → ${current}`).toBe(offset(old));
      }
    }
  });

  it('groups by region, regions and labels in order, labels without underscores', () => {
    const groups = zoneGroups();
    const regions = groups.map((g) => g.region);
    expect(regions).toEqual([...regions].sort((a, b) => a.localeCompare(b, 'en')));
    expect(regions).toEqual(expect.arrayContaining(['Africa', 'America', 'Asia', 'Europe', 'Pacific']));
    const america = groups.find((g) => g.region === 'America')!;
    expect(america.zones.find((z) => z.name === 'America/New_York')?.label).toBe('New York');
    expect(america.zones.find((z) => z.name === 'America/Argentina/Buenos_Aires')?.aliases).toEqual(['America/Buenos_Aires']);
    for (const g of groups) for (const z of g.zones) expect(z.label).not.toContain('_');
  });

  it('finds stored old names and refuses unknown ones', () => {
    expect(canonicalZone('Asia/Calcutta')).toBe('Asia/Kolkata');
    expect(canonicalZone('Europe/Paris')).toBe('Europe/Paris');
    expect(isListedZone('Asia/Calcutta')).toBe(true);
    expect(isListedZone('Mars/Olympus_Mons')).toBe(false);
  });

  it('names every old zone of the machine zone.tab, when the machine has one', () => {
    let tab: string;
    try {
      tab = readFileSync('/usr/share/zoneinfo/zone.tab', 'utf8');
    } catch {
      return; // no tzdata package: the Intl checks above still hold
    }
    const zones = new Set(
      tab
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => l.split('\t')[2]),
    );
    const supported = (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf('timeZone');
    const outside = supported.filter((z) => !zones.has(z) && !zones.has(canonicalZone(z)));
    // Zones IANA keeps as zones of their own but not in zone.tab (none today); an old name missing
    // from LEGACY would show up here.
    expect(outside.filter((z) => z.includes('/'))).toEqual([]);
  });
});
