/**
 * The personal parts of a rendered edition. MJML runs once per edition; the result carries these
 * markers, and personalise() swaps them for one reader's values. Story text can never contain a
 * marker: escapeHtml/escapeText break up every `%%` in it.
 */
export const PLACEHOLDERS = ['greeting', 'unsubscribe_url', 'preferences_url', 'click_reader'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export const marker = (name: Placeholder): string => `%%${name}%%`;

/**
 * A marker-shaped leftover, known or not (preflight: nothing may reach a reader unfilled). Only the
 * template can write one: escapeHtml/escapeText break up every `%%` of story text. `{{…}}` is not
 * looked for: compileTemplate refuses a `{{` that is not a tag, so in a rendered part it can only be
 * story text (a Vue tutorial's `{{ message }}`), which must never fail an edition.
 */
export const LEFTOVER = /%%[a-z_]+%%/g;
