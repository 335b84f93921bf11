import { describe, expect, it } from 'vitest';
import { loadLocale } from '../../src/config/index.js';
import { personalise, renderEdition, type EditionInput } from '../../src/render/index.js';

/** An edition with no stories (EMPTY_DAY=note) says it is empty, and only that: no "here are today's picks" before it. */
const base = (over: Partial<EditionInput> = {}): EditionInput => ({
  date: '2026-11-26',
  site: { name: 'The Morning Post', postalAddress: '1 Main Street' },
  publicUrl: 'https://digest.example.com',
  stories: [],
  blogs: [],
  ...over,
});
const reader = { name: 'Ada', unsubscribeUrl: 'https://digest.example.com/u/x', preferencesUrl: 'https://digest.example.com/p/x' };

describe('an empty edition', () => {
  it.each([
    ['daily', 'Nothing new today.', /picks/],
    ['weekly', 'Nothing new this week.', /picks/],
  ] as const)('%s: says nothing is new, and announces no picks', async (kind, nothing, picks) => {
    const p = personalise(await renderEdition(base({ kind })), reader, loadLocale('en'));
    for (const part of [p.text, p.html]) {
      expect(part).toContain(nothing);
      expect(part).not.toMatch(picks);
    }
    expect(p.text).toContain('Hello Ada,');
  });

  it('in French too', async () => {
    const fr = loadLocale('fr');
    const p = personalise(await renderEdition(base({ locale: fr })), reader, fr);
    expect(p.text).toContain('Rien de neuf aujourd’hui.');
    expect(p.text).not.toContain('voici');
  });
});
