import { describe, expect, it } from 'vitest';
import { dailySpecs, hourlySpec, weeklySpec } from '../../src/editions/index.js';
import { editionPath, slotFromSegment, slotSegment } from '../../src/render/edition-url.js';
import { renderEdition } from '../../src/render/index.js';
import { testConfig } from '../helpers/config.js';
import { fixtureStory } from '../helpers/stories.js';

describe("an edition's URL", () => {
  it.each([
    ['06:00', '06-00'],
    ['18:30', '18-30'],
    ['00:00', '00-00'],
    ['weekly 06:00', 'weekly-06-00'],
    ['22:00Z-1d', '22-00z-1d'],
    ['08:00Z+1d', '08-00z+1d'],
    ['22:00Z', '22-00z'],
    ['05:45Z', '05-45z'],
  ])('slot %s is the path segment %s, and back', (slot, segment) => {
    expect(slotSegment(slot)).toBe(segment);
    expect(slotFromSegment(segment)).toBe(slot);
  });

  it.each([
    '',
    '6-00',
    '06:00',
    '06-00Z',
    '24-00',
    '06-60',
    'weekly',
    'weekly 06-00',
    'Weekly-06-00',
    '06-00z-x',
    '..',
    '06-00%20',
    '22-00z-3d',
    '22-00-1d',
    '22-00z-1',
  ])('the segment "%s" names no slot', (segment) => expect(slotFromSegment(segment)).toBeUndefined());

  it('every slot the edition spec makes has a URL form that maps back to it', () => {
    const config = testConfig({ DIGEST_CRON: '0 6,18 * * *', DIGEST_TZ: 'Europe/Paris' });
    const slots = [
      ...dailySpecs(config, '2026-11-27').map((s) => s.slot),
      weeklySpec(config, '2026-11-27')!.slot,
      hourlySpec(new Date('2026-11-26T22:00:00Z'), '2026-11-27').slot,
      hourlySpec(new Date('2026-11-27T17:00:00Z'), '2026-11-27').slot,
      hourlySpec(new Date('2026-11-28T08:00:00Z'), '2026-11-27').slot,
    ];
    expect(slots).toEqual(['06:00', '18:00', 'weekly 06:00', '22:00Z-1d', '17:00Z', '08:00Z+1d']);
    for (const slot of slots) expect(slotFromSegment(slotSegment(slot))).toBe(slot);
  });

  it("a slot of another shape is an error, never some other edition's link", () => {
    expect(() => slotSegment('morning')).toThrow(/no URL form/);
  });

  it("without a slot, the path is the date's (its main edition)", () => {
    expect(editionPath('2026-11-27')).toBe('/editions/2026-11-27');
    expect(editionPath('2026-11-27', 'weekly 06:00')).toBe('/editions/2026-11-27/weekly-06-00');
  });

  it('the email\'s "view in browser" link is its own slot\'s page on PUBLIC_URL', async () => {
    const input = {
      date: '2026-11-27',
      site: { name: 'The Morning Post', postalAddress: '' },
      publicUrl: 'https://digest.example.com/',
      stories: [fixtureStory()],
      blogs: [],
    };
    const evening = await renderEdition({ ...input, slot: '18:00' });
    expect(evening.viewUrl).toBe('https://digest.example.com/editions/2026-11-27/18-00');
    expect(evening.html).toContain('href="https://digest.example.com/editions/2026-11-27/18-00"');
    expect(evening.text).toContain('https://digest.example.com/editions/2026-11-27/18-00');
    expect((await renderEdition({ ...input, slot: '22:00Z', kind: 'hourly' })).viewUrl).toBe(
      'https://digest.example.com/editions/2026-11-27/22-00z',
    );
    expect((await renderEdition(input)).viewUrl).toBe('https://digest.example.com/editions/2026-11-27');
  });
});
