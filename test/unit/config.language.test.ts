import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { chooseLanguage, languagePart } from '../../src/config/language.js';

const base = { SECRET: 'a-secret-of-enough-length', DATA_DIR: 'memory://' };

describe("the readers' language", () => {
  it.each([
    ['fr_FR.UTF-8', 'fr'],
    ['fr_CA', 'fr'],
    ['en_US.UTF-8', 'en'],
    ['de_DE.UTF-8@euro', 'de'],
    ['pt-BR', 'pt'],
    ['fr', 'fr'],
    ['C.UTF-8', undefined],
    ['C', undefined],
    ['POSIX', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('LANG=%s has the language part %s', (value, lang) => {
    expect(languagePart(value)).toBe(lang);
  });

  it.each([
    [{}, 'en'],
    [{ LANG: 'C.UTF-8' }, 'en'],
    [{ LANG: 'POSIX' }, 'en'],
    [{ LANG: 'en_GB.UTF-8' }, 'en'],
    [{ LANG: 'fr_FR.UTF-8' }, 'fr'],
    // A machine set up in a language with no file still starts, in English.
    [{ LANG: 'de_DE.UTF-8' }, 'en'],
    [{ DIGEST_LANG: 'fr' }, 'fr'],
    [{ DIGEST_LANG: 'fr', LANG: 'en_US.UTF-8' }, 'fr'],
    [{ DIGEST_LANG: 'en', LANG: 'fr_FR.UTF-8' }, 'en'],
    [{ DIGEST_LANG: '', LANG: 'fr_FR.UTF-8' }, 'fr'],
  ])('%j gives %s', (env, lang) => {
    const config = loadConfig({ ...base, ...env });
    expect(config.locale.lang).toBe(lang);
    expect(Object.isFrozen(config.locale)).toBe(true);
  });

  it('stops start-up when DIGEST_LANG names a language with no locale file', () => {
    expect(() => loadConfig({ ...base, DIGEST_LANG: 'de' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, DIGEST_LANG: 'de' })).toThrow(
      'config: DIGEST_LANG "de" has no locale file (locales/de.json); available: en, fr',
    );
    expect(chooseLanguage({ DIGEST_LANG: 'C' }, ['en', 'fr'])).toEqual({
      ok: false,
      problem: { variable: 'DIGEST_LANG', message: 'DIGEST_LANG "C" has no locale file; available: en, fr' },
    });
  });

  it('takes the default subject line from the language unless SUBJECT_TEMPLATE is set', () => {
    expect(loadConfig(base).email.subjectTemplate).toBe('{{headline}} · {{date}}');
    expect(loadConfig({ ...base, DIGEST_LANG: 'fr' }).email.subjectTemplate).toBe('{{headline}} · {{date}}');
    expect(loadConfig({ ...base, DIGEST_LANG: 'fr', SUBJECT_TEMPLATE: '{{site}} du {{date}}' }).email.subjectTemplate).toBe(
      '{{site}} du {{date}}',
    );
  });
});
