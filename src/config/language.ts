import type { ConfigProblem } from './config-error.js';

/**
 * Which locale file the reader-facing text comes from. DIGEST_LANG, when set, must name a language
 * with a file (a typo stops start-up). Otherwise LANG, the POSIX locale variable every shell has
 * (`en_US.UTF-8`, `fr_FR.UTF-8`, `C.UTF-8`): its language part is used when there is a file for it,
 * and anything else (C, POSIX, unset, a language with no file) is English, so a machine set up in
 * German still starts. LC_ALL and LC_MESSAGES are not read: they describe the operator's shell,
 * and the readers' language should not change with whoever runs `digest send`.
 */
export interface LanguageChoice {
  readonly lang: string;
  /** The variable that chose it, for error messages. */
  readonly variable: 'DIGEST_LANG' | 'LANG';
}

/** "fr_FR.UTF-8" → "fr", "pt-BR" → "pt", "C.UTF-8" / "POSIX" / "" → undefined. */
export function languagePart(value: string | undefined): string | undefined {
  const lang = value
    ?.trim()
    .split(/[_.@-]/)[0]
    ?.toLowerCase();
  if (!lang || lang === 'c' || lang === 'posix') return undefined;
  return /^[a-z]{2,3}$/.test(lang) ? lang : undefined;
}

export function chooseLanguage(
  env: { readonly DIGEST_LANG?: string | undefined; readonly LANG?: string | undefined },
  available: readonly string[],
): { ok: true; choice: LanguageChoice } | { ok: false; problem: ConfigProblem } {
  if (env.DIGEST_LANG !== undefined) {
    const lang = languagePart(env.DIGEST_LANG);
    if (lang && available.includes(lang)) return { ok: true, choice: { lang, variable: 'DIGEST_LANG' } };
    return {
      ok: false,
      problem: {
        variable: 'DIGEST_LANG',
        message: `DIGEST_LANG "${env.DIGEST_LANG}" has no locale file${lang ? ` (locales/${lang}.json)` : ''}; available: ${available.join(', ')}`,
      },
    };
  }
  const lang = languagePart(env.LANG);
  return { ok: true, choice: { lang: lang && available.includes(lang) ? lang : 'en', variable: 'LANG' } };
}
