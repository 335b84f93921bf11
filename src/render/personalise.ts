import { defaultLocale, type Locale } from '../config/index.js';
import { escapeHtml, escapeText, safeHttpUrl, truncate } from './escape.js';
import { PLACEHOLDERS, type Placeholder } from './placeholders.js';

/**
 * Per-reader copies of a rendered edition, without MJML: the HTML and text are split once at the
 * %%markers%% into slices, and each reader's copy is the slices joined with that reader's values.
 * The cost is a few string concatenations (see bench/render.ts).
 */
export interface Reader {
  readonly name: string | null;
  readonly unsubscribeUrl: string;
  readonly preferencesUrl: string;
  /** The reader's part of tracked story links (CLICK_TRACKING=individual only). */
  readonly clickToken?: string | undefined;
}

export interface PersonalisedParts {
  readonly html: string;
  readonly text: string;
}

export class PersonaliseError extends Error {
  readonly code = 'personalise_invalid';
}

/** A text split once at its markers: slices[0] key[0] slices[1] … key[n-1] slices[n]. */
export interface Compiled {
  readonly slices: readonly string[];
  readonly keys: readonly Placeholder[];
}

const MARKER = new RegExp(`%%(${PLACEHOLDERS.join('|')})%%`, 'g');

export function compile(source: string): Compiled {
  const slices: string[] = [];
  const keys: Placeholder[] = [];
  let last = 0;
  for (const m of source.matchAll(MARKER)) {
    slices.push(source.slice(last, m.index));
    keys.push(m[1] as Placeholder);
    last = m.index + m[0].length;
  }
  slices.push(source.slice(last));
  return { slices, keys };
}

function fill(c: Compiled, values: Record<Placeholder, string>): string {
  let out = c.slices[0]!;
  for (let i = 0; i < c.keys.length; i++) out += values[c.keys[i]!] + c.slices[i + 1]!;
  return out;
}

/** How the digest greets a reader: "Hello Anna," or "Hello," (mail.greeting_named, mail.greeting). */
export function greetingFor(name: string | null, locale: Locale = defaultLocale()): string {
  const n = name?.replace(/\s+/g, ' ').trim();
  return n ? locale.t('mail.greeting_named', { name: truncate(n, 60) }) : locale.t('mail.greeting');
}

function checkedUrl(url: string, what: string): string {
  const safe = safeHttpUrl(url);
  if (!safe) throw new PersonaliseError(`${what} "${url}" is not an absolute http(s) URL`);
  return safe;
}

/** One reader's values for the markers, escaped for each part (the message template uses them too). */
export function readerValues(reader: Reader, locale?: Locale): { html: Record<Placeholder, string>; text: Record<Placeholder, string> } {
  const greeting = greetingFor(reader.name, locale);
  const unsubscribe = checkedUrl(reader.unsubscribeUrl, 'unsubscribeUrl');
  const preferences = checkedUrl(reader.preferencesUrl, 'preferencesUrl');
  // A signed token: base64url and dots only, so it cannot break out of the URL it sits in.
  const clickToken = reader.clickToken && /^[A-Za-z0-9._-]{1,200}$/.test(reader.clickToken) ? reader.clickToken : '';
  return {
    html: {
      greeting: escapeHtml(greeting),
      unsubscribe_url: escapeHtml(unsubscribe),
      preferences_url: escapeHtml(preferences),
      click_reader: escapeHtml(clickToken),
    },
    text: { greeting: escapeText(greeting), unsubscribe_url: unsubscribe, preferences_url: preferences, click_reader: clickToken },
  };
}

const compiledCache = new WeakMap<object, { html: Compiled; text: Compiled }>();

/**
 * One reader's copy of a rendered edition. The split is cached per `rendered` object, so calling
 * this for every reader of a batch with the same object costs only the joins.
 */
export function personalise(
  rendered: { readonly html: string; readonly text: string },
  reader: Reader,
  locale?: Locale,
): PersonalisedParts {
  let c = compiledCache.get(rendered);
  if (!c) {
    c = { html: compile(rendered.html), text: compile(rendered.text) };
    compiledCache.set(rendered, c);
  }
  const values = readerValues(reader, locale);
  return { html: fill(c.html, values.html), text: fill(c.text, values.text) };
}
