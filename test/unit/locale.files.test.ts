import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, LOCALES_DIR, loadLocale } from '../../src/config/index.js';
import { availableLanguages, compareCatalogues, variablesOf } from '../../src/config/locale.js';

type Catalogue = Record<string, string | Record<string, string>>;
const read = (lang: string): Catalogue => JSON.parse(readFileSync(join(LOCALES_DIR, `${lang}.json`), 'utf8')) as Catalogue;
const en = read('en');
const others = availableLanguages().filter((l) => l !== 'en');

/** A locales directory holding en.json as shipped and `lang`.json as given. */
function dirWith(lang: string, catalogue: Catalogue): string {
  const dir = mkdtempSync(join(tmpdir(), 'locales-'));
  writeFileSync(join(dir, 'en.json'), JSON.stringify(en));
  writeFileSync(join(dir, `${lang}.json`), JSON.stringify(catalogue));
  return dir;
}
function startUpError(lang: string, catalogue: Catalogue): string {
  try {
    loadLocale(lang, { dir: dirWith(lang, catalogue) });
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  return '';
}

describe('locale files', () => {
  it('ships English and French', () => {
    expect(availableLanguages()).toEqual(expect.arrayContaining(['en', 'fr']));
  });

  it.each(others)('%s.json has every key of en.json, no other key, and the same kind of entry', (lang) => {
    const catalogue = read(lang);
    expect(Object.keys(catalogue).sort()).toEqual(Object.keys(en).sort());
    for (const [key, entry] of Object.entries(en)) expect([key, typeof catalogue[key]]).toEqual([key, typeof entry]);
  });

  it.each(others)('%s.json uses every {variable} en.json uses, and no other', (lang) => {
    const catalogue = read(lang);
    for (const [key, entry] of Object.entries(en)) {
      expect([key, [...variablesOf(catalogue[key]!)].sort()]).toEqual([key, [...variablesOf(entry)].sort()]);
    }
    expect(compareCatalogues(en, catalogue, `locales/${lang}.json`)).toEqual([]);
  });

  it.each(availableLanguages())('%s.json loads: its tag is a language tag and its plural entries have an "other" form', (lang) => {
    expect(() => loadLocale(lang)).not.toThrow();
  });

  it('French follows French typography: a no-break space before : ; ? ! and inside « », a typographic apostrophe', () => {
    for (const [key, entry] of Object.entries(read('fr'))) {
      for (const text of typeof entry === 'string' ? [entry] : Object.values(entry)) {
        const bare = text.replace(/https?:\/\/\S+/g, '');
        expect([key, /[^\u00a0\u202f][:;?!](\s|$)/.test(bare)]).toEqual([key, false]);
        expect([key, /« |«(?!\u00a0)| »|(?<!\u00a0)»/.test(text)]).toEqual([key, false]);
        expect([key, text.includes("'")]).toEqual([key, false]);
      }
    }
  });

  it('every key of en.json is used by the code (no dead strings), and every key the code names exists', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
        d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
      );
    const source = files(join(LOCALES_DIR, '..', 'src'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const unused = Object.keys(en).filter((key) => {
      if (key === 'locale.tag') return false;
      const prefix = key.slice(0, key.lastIndexOf('.') + 1);
      return !source.includes(`'${key}'`) && !source.includes('`' + prefix + '${');
    });
    expect(unused).toEqual([]);
    const named = [...source.matchAll(/\bt\('([a-z_.]+)'/g)].map((m) => m[1]!);
    expect(named.filter((key) => !(key in en))).toEqual([]);
  });
});

describe('a broken locale file stops start-up, naming the file and the key', () => {
  it('a missing key', () => {
    const { 'signup.title': _gone, ...rest } = read('fr');
    expect(startUpError('fr', rest)).toContain('locales/fr.json: key "signup.title" is missing (en.json has it)');
  });

  it('an extra key', () => {
    expect(startUpError('fr', { ...read('fr'), 'signup.titel': 'Inscription' })).toContain(
      'locales/fr.json: key "signup.titel" is not in en.json',
    );
  });

  it('a {variable} lost or invented in translation', () => {
    const message = startUpError('fr', { ...read('fr'), 'confirm.lead': 'Appuyez sur le bouton pour recevoir {sitename}.' });
    expect(message).toContain('locales/fr.json: key "confirm.lead" does not use {site} (en.json does)');
    expect(message).toContain('locales/fr.json: key "confirm.lead" does not use {email} (en.json does)');
    expect(message).toContain('locales/fr.json: key "confirm.lead" uses {sitename}, which en.json does not give it');
  });

  it('a plural entry without "other", or a text where en.json has a plural entry', () => {
    expect(startUpError('fr', { ...read('fr'), 'digest.votes': { one: '{count} vote' } })).toContain(
      'locales/fr.json: key "digest.votes" is a plural entry without an "other" form',
    );
    expect(startUpError('fr', { ...read('fr'), 'digest.comments': '{count} commentaires' })).toContain(
      'locales/fr.json: key "digest.comments" must be a plural entry, as in en.json',
    );
  });

  it('a file that is not JSON', () => {
    const dir = dirWith('fr', {});
    writeFileSync(join(dir, 'fr.json'), '{"signup.title": "Inscription",}');
    expect(() => loadLocale('fr', { dir })).toThrow(/locales\/fr\.json: is not JSON/);
  });
});

describe('t()', () => {
  const en = loadLocale('en');
  const fr = loadLocale('fr');

  it('fills {variables} and leaves {{template}} syntax alone', () => {
    expect(en.t('unsubscribe.heading', { site: 'The Daily' })).toBe('Unsubscribe from The Daily');
    expect(en.t('digest.subject_template')).toBe('{{headline}} · {{date}}');
    expect(() => en.t('unsubscribe.heading')).toThrow(/needs a value for \{site\}/);
    expect(() => en.t('no.such.key')).toThrow(/no key "no.such.key"/);
  });

  it('picks plural forms with Intl.PluralRules, exact counts first', () => {
    expect([1, 2, 0].map((count) => en.t('digest.votes', { count }))).toEqual(['1 vote', '2 votes', '0 votes']);
    // French: 0 and 1 are singular.
    expect([0, 1, 2].map((count) => fr.t('digest.comments', { count }))).toEqual(['0 commentaire', '1 commentaire', '2 commentaires']);
    expect(fr.t('digest.intro', { count: 1, site: 'S' })).toBe('voici l’article du jour que vous propose S.');
    expect(fr.t('digest.intro', { count: 0, site: 'S' })).toBe('voici les articles du jour que vous propose S.');
  });

  it('formats dates in the language', () => {
    // en-GB as before the locale files (Node 20's ICU writes the comma).
    expect(en.longDate('2026-11-26')).toBe('Thursday, 26 November 2026');
    expect(en.shortDate('2026-11-26')).toBe('Thu 26 Nov');
    expect(fr.longDate('2026-11-26')).toBe('jeudi 26 novembre 2026');
    expect(fr.shortDate('2026-11-26')).toBe('jeu. 26 nov.');
    expect([0, 1, 6].map((d) => fr.weekday(d))).toEqual(['dimanche', 'lundi', 'samedi']);
  });
});
