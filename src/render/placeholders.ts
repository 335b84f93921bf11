/**
 * The personal parts of a rendered edition. MJML runs once per edition; the result carries these
 * markers, and personalise() swaps them for one reader's values. Story text can never contain a
 * marker: escapeHtml/escapeText break up every `%%` in it.
 */
export const PLACEHOLDERS = ['greeting', 'unsubscribe_url', 'preferences_url', 'click_reader'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export const marker = (name: Placeholder): string => `%%${name}%%`;

/** Any marker-shaped leftover, known or not (preflight: nothing may reach a reader unfilled). */
export const LEFTOVER = /%%[a-z_]+%%|\{\{[^}]*\}\}/g;
