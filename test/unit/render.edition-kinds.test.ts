import { describe, expect, it } from 'vitest';
import { loadLocale } from '../../src/config/index.js';
import { personalise, renderEdition, type EditionInput } from '../../src/render/index.js';
import { fixtureStory } from '../helpers/stories.js';

/** Each kind reads as itself: the weekly says the week; a reader's own hour names no time of day. */
const base = (over: Partial<EditionInput> = {}): EditionInput => ({
  date: '2026-11-29',
  site: { name: 'The Post', postalAddress: '1 Main Street' },
  publicUrl: 'https://digest.example.com',
  stories: [fixtureStory({ title: 'Big news' }), fixtureStory()],
  blogs: [],
  ...over,
});
const reader = { name: 'Ann', unsubscribeUrl: 'https://digest.example.com/u/tok', preferencesUrl: 'https://digest.example.com/p/tok' };
const fr = loadLocale('fr');

describe('the weekly edition', () => {
  it("says it holds the week's picks, in the subject too", async () => {
    const r = await renderEdition(base({ kind: 'weekly', slot: 'weekly 06:00' }));
    const p = personalise(r, reader);
    expect(p.text).toContain("Hello Ann,\nhere are the week's picks from The Post.");
    expect(p.html).toContain('Hello Ann, here are the week&#39;s picks from The Post.');
    for (const part of [p.html, p.text]) expect(part).not.toContain('today');
    expect(r.subject).toBe('This week: Big news · Sun 29 Nov');
  });

  it('says "nothing new this week" when empty, and its preheader names the week', async () => {
    const r = await renderEdition(base({ kind: 'weekly', stories: [] }));
    expect(r.text).toContain('Nothing new this week.');
    expect(r.html).toContain('Nothing new this week.');
    expect(r.preheader).toBe('The Post, the week to Sunday, 29 November 2026');
    expect(r.subject).toBe('This week: The Post · Sun 29 Nov');
  });

  it("keeps an operator's SUBJECT_TEMPLATE for every kind", async () => {
    const subjectTemplate = '{{site}}: {{headline}}';
    expect((await renderEdition(base({ kind: 'weekly', subjectTemplate }))).subject).toBe('The Post: Big news');
    // config's default (the locale's own template) counts as unset.
    expect((await renderEdition(base({ kind: 'weekly', subjectTemplate: '{{headline}} · {{date}}' }))).subject).toBe(
      'This week: Big news · Sun 29 Nov',
    );
  });

  it('invites readers of its web page to the weekly email', async () => {
    const r = await renderEdition(base({ kind: 'weekly', mode: 'web' }));
    expect(r.html).toContain('Get it by email every week: https://digest.example.com/');
  });

  it('says the week in French, with French spacing', async () => {
    const r = await renderEdition(base({ kind: 'weekly', locale: fr }));
    const p = personalise(r, reader, fr);
    expect(p.text).toContain('Bonjour Ann,\nvoici les articles de la semaine que vous propose The Post.');
    expect(r.subject).toBe('Cette semaine : Big news · dim. 29 nov.'); // a subject is one line: headerText makes every space plain
    const empty = await renderEdition(base({ kind: 'weekly', locale: fr, stories: [], mode: 'web' }));
    expect(empty.text).toContain('Rien de neuf cette semaine.');
    expect(empty.text).toContain('Recevez-la par e-mail chaque semaine\u00a0: https://digest.example.com/');
    expect(empty.preheader).toBe('The Post, la semaine jusqu’au dimanche 29 novembre 2026');
  });
});

describe("a reader's own hour", () => {
  it('reads like the daily, with no time of day (it may come at 22:00)', async () => {
    for (const locale of [undefined, fr]) {
      const mail = await renderEdition(base({ kind: 'hourly', slot: '22:00Z', locale }));
      const web = await renderEdition(base({ kind: 'hourly', slot: '22:00Z', locale, mode: 'web', stories: [] }));
      for (const part of [mail.html, mail.text, mail.subject, web.html, web.text]) {
        expect(part).not.toMatch(/morning|evening|tonight|matin|soir/i);
      }
    }
    const mail = await renderEdition(base({ kind: 'hourly', slot: '22:00Z' }));
    expect(mail.text).toContain("here are today's picks from The Post.");
    expect(mail.subject).toBe('Big news · Sun 29 Nov');
    const web = await renderEdition(base({ kind: 'hourly', slot: '22:00Z', mode: 'web' }));
    expect(web.html).toContain('Get it by email every day, at the hour you choose: https://digest.example.com/');
  });
});

describe('the daily edition', () => {
  it("keeps today's wording, whether its kind is given or not", async () => {
    for (const kind of [undefined, 'daily'] as const) {
      const r = await renderEdition(base({ kind }));
      expect(r.text).toContain("%%greeting%%\nhere are today's picks from The Post.");
      expect(r.subject).toBe('Big news · Sun 29 Nov');
      expect((await renderEdition(base({ kind, stories: [] }))).text).toContain('Nothing new today.');
    }
  });
});
