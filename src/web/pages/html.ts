import { interpolate, type Locale } from '../../config/index.js';

/**
 * A tiny `html` tagged template for server-rendered pages: every interpolated value is escaped unless
 * it is itself the result of `html` (or `raw`, for markup we wrote). Arrays are joined; null,
 * undefined and false render nothing, so `${cond && html`…`}` works.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => ENTITIES[c]!);
}

type Value = SafeHtml | string | number | boolean | null | undefined | readonly Value[];

function render(value: Value): string {
  if (value === null || value === undefined || value === false || value === true) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new SafeHtml(out);
}

/**
 * A sentence of the locale with markup inside ("Or {link} (a weekly edition…)"): the sentence is
 * escaped as text, and each {name} takes `vars[name]`, escaped unless it is itself SafeHtml.
 */
export function tHtml(locale: Locale, key: string, vars: Readonly<Record<string, Value>>): SafeHtml {
  return new SafeHtml(
    interpolate(escapeHtml(locale.form(key)), (name) => {
      if (!(name in vars)) throw new Error(`key "${key}" needs a value for {${name}}`);
      return render(vars[name]);
    }),
  );
}

/** Markup we wrote ourselves (never reader or request data). */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}
