import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, type ConfigProblem } from './config-error.js';

/**
 * Reader-facing text (pages and emails) comes from `locales/<lang>.json`; `en.json` is the reference.
 *
 * It lives in config/ rather than render/ because picking and checking it is a start-up concern
 * like any other setting: loadConfig() loads the chosen file once, checks it against en.json (a
 * missing or extra key, a {variable} lost in translation, stops start-up naming the file and the
 * key), and Config carries the result frozen, so pages, subscriber mails and renders all read one
 * catalogue and nothing reads a locale file per request. render/, web/ and subscribers/ already
 * depend on config/; the reverse would be a cycle.
 *
 * A file is flat: `"key": "text"` or, for a text that depends on a number, a plural entry
 * `"key": {"one": "{count} vote", "other": "{count} votes"}` whose forms are Intl.PluralRules
 * categories of the file's language (`other` is required) or exact counts (`"=1"`), tried first.
 * `{name}` is replaced by a value; `{{name}}` is left alone (SUBJECT_TEMPLATE's own syntax).
 */
export const LOCALES_DIR = fileURLToPath(new URL('../../locales/', import.meta.url));
export const REFERENCE_LANGUAGE = 'en';

export type MessageVars = Readonly<Record<string, string | number>>;
type Entry = string | Readonly<Record<string, string>>;
type Catalogue = Readonly<Record<string, Entry>>;

export interface Locale {
  /** "en", "fr": the file's name, and the lang attribute of pages and emails. */
  readonly lang: string;
  /** The BCP 47 tag dates and plurals are formatted with ("en-GB"), from the file's `locale.tag`. */
  readonly tag: string;
  /** The text of `key` with each {name} replaced; a plural entry picks its form by `vars.count`. */
  t(key: string, vars?: MessageVars): string;
  /** The form of `key` before interpolation (for callers that interpolate markup themselves). */
  form(key: string, count?: number): string;
  /** "Thursday, 26 November 2026" for a YYYY-MM-DD date (the calendar day itself, no time zone). */
  longDate(date: string): string;
  /** "Thu 26 Nov", for subject lines. */
  shortDate(date: string): string;
  /** The name of a day of the week, 0 = Sunday. */
  weekday(day: number): string;
}

export class LocaleError extends Error {
  readonly code = 'locale_invalid';
}

const CATEGORIES = new Set(['zero', 'one', 'two', 'few', 'many', 'other']);
const EXACT = /^=\d+$/;
/** `{name}` but not `{{name}}`. */
const VARIABLE = /(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})/g;

/** Replaces each {name} in `form` by `value(name)`. */
export function interpolate(form: string, value: (name: string) => string): string {
  return form.replace(VARIABLE, (_, name: string) => value(name));
}

/** The {variables} an entry uses, over all its forms (one plural form may leave {count} out). */
export function variablesOf(entry: Entry): Set<string> {
  const forms = typeof entry === 'string' ? [entry] : Object.values(entry);
  return new Set(forms.flatMap((f) => [...f.matchAll(VARIABLE)].map((m) => m[1]!)));
}

/** The languages that have a file: `en`, `fr`, … */
export function availableLanguages(dir: string = LOCALES_DIR): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => /^[a-z]{2,3}\.json$/.test(f))
      .map((f) => f.slice(0, -5))
      .sort();
  } catch {
    return [];
  }
}

function readCatalogue(dir: string, lang: string, variable: string): { catalogue: Catalogue; problems: ConfigProblem[] } {
  const file = `locales/${lang}.json`;
  const problem = (message: string) => ({ variable, message: `${file}: ${message}` });
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(join(dir, `${lang}.json`), 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { catalogue: {}, problems: [problem(e.code ? `cannot be read (${e.code})` : `is not JSON (${e.message})`)] };
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    return { catalogue: {}, problems: [problem('is not a JSON object of "key": "text"')] };
  const problems: ConfigProblem[] = [];
  for (const [key, entry] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof entry === 'string') continue;
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      problems.push(problem(`key "${key}" is neither a text nor a plural entry`));
      continue;
    }
    const forms = Object.entries(entry as Record<string, unknown>);
    for (const [form, text] of forms) {
      if (!CATEGORIES.has(form) && !EXACT.test(form))
        problems.push(problem(`key "${key}" has a form "${form}" (use zero, one, two, few, many, other or =N)`));
      if (typeof text !== 'string') problems.push(problem(`key "${key}" form "${form}" is not a text`));
    }
    if (!('other' in entry)) problems.push(problem(`key "${key}" is a plural entry without an "other" form`));
  }
  return { catalogue: parsed as Catalogue, problems };
}

/**
 * Every problem of `candidate` against the reference catalogue, one per key: missing, extra, text
 * where the reference has a plural entry (or the reverse), and {variables} added or lost.
 */
export function compareCatalogues(reference: Catalogue, candidate: Catalogue, file: string): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(reference)) {
    const ref = reference[key]!;
    const entry = candidate[key];
    if (entry === undefined) {
      problems.push(`${file}: key "${key}" is missing (en.json has it)`);
      continue;
    }
    if (typeof ref !== typeof entry)
      problems.push(`${file}: key "${key}" must be ${typeof ref === 'string' ? 'a text' : 'a plural entry'}, as in en.json`);
    const want = variablesOf(ref);
    const have = variablesOf(entry);
    for (const v of want) if (!have.has(v)) problems.push(`${file}: key "${key}" does not use {${v}} (en.json does)`);
    for (const v of have) if (!want.has(v)) problems.push(`${file}: key "${key}" uses {${v}}, which en.json does not give it`);
  }
  for (const key of Object.keys(candidate)) {
    if (!(key in reference)) problems.push(`${file}: key "${key}" is not in en.json (a typo, or a key en.json no longer has)`);
  }
  return problems;
}

const cache = new Map<string, Locale>();

/**
 * The locale of `lang`, read and checked once per process. Throws a ConfigError listing every
 * problem (naming the file and key) under `variable`, the setting that chose it.
 */
export function loadLocale(lang: string, options: { dir?: string; variable?: string } = {}): Locale {
  const dir = options.dir ?? LOCALES_DIR;
  const variable = options.variable ?? 'DIGEST_LANG';
  const key = `${dir}\0${lang}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const reference = readCatalogue(dir, REFERENCE_LANGUAGE, variable);
  const own = lang === REFERENCE_LANGUAGE ? reference : readCatalogue(dir, lang, variable);
  const problems = [...reference.problems, ...(own === reference ? [] : own.problems)];
  if (problems.length === 0 && own !== reference) {
    problems.push(
      ...compareCatalogues(reference.catalogue, own.catalogue, `locales/${lang}.json`).map((message) => ({ variable, message })),
    );
  }
  const tag = own.catalogue['locale.tag'];
  if (problems.length === 0) {
    if (typeof tag !== 'string' || !isLanguageTag(tag))
      problems.push({ variable, message: `locales/${lang}.json: key "locale.tag" must be a language tag such as en-GB` });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const locale = makeLocale(lang, tag as string, own.catalogue);
  cache.set(key, locale);
  return locale;
}

/** English from locales/en.json: the default of every render and page not given a locale. */
export function defaultLocale(): Locale {
  return loadLocale(REFERENCE_LANGUAGE);
}

function isLanguageTag(tag: string): boolean {
  try {
    return Intl.DateTimeFormat.supportedLocalesOf([tag]).length === 1;
  } catch {
    return false;
  }
}

function makeLocale(lang: string, tag: string, catalogue: Catalogue): Locale {
  const plurals = new Intl.PluralRules(tag);
  const long = new Intl.DateTimeFormat(tag, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
  const short = new Intl.DateTimeFormat(tag, { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' });
  const day = new Intl.DateTimeFormat(tag, { weekday: 'long', timeZone: 'UTC' });
  const noon = (date: string) => new Date(`${date}T12:00:00Z`);

  const form = (key: string, count?: number): string => {
    const entry = catalogue[key];
    if (entry === undefined) throw new LocaleError(`locales/${lang}.json has no key "${key}"`);
    if (typeof entry === 'string') return entry;
    if (count === undefined) throw new LocaleError(`key "${key}" is a plural entry: give it a count`);
    return entry[`=${count}`] ?? entry[plurals.select(count)] ?? entry.other!;
  };
  return {
    lang,
    tag,
    form,
    t(key, vars = {}) {
      const count = typeof vars.count === 'number' ? vars.count : undefined;
      return interpolate(form(key, count), (name) => {
        const value = vars[name];
        if (value === undefined) throw new LocaleError(`key "${key}" needs a value for {${name}}`);
        return String(value);
      });
    },
    longDate: (date) => long.format(noon(date)),
    shortDate: (date) => short.format(noon(date)),
    // 2023-01-01 was a Sunday.
    weekday: (n) => day.format(new Date(Date.UTC(2023, 0, 1 + n, 12))),
  };
}
