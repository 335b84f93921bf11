/**
 * How the operator's pages and commands (the admin, the inbox, `digest …`) write instants and
 * counts. They are English only, so these are not in locales/ (the readers' catalogue, with its own
 * plural entries); a rule written once here keeps the admin, the CLI and the logs they quote alike.
 */

/** An instant as the operator reads it everywhere: "2026-12-07 17:05 UTC" (UTC, to the minute). */
export function formatInstant(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const plural = new Intl.PluralRules('en');

/**
 * A count with its noun in the right form: "no messages", "1 message", "2 messages", "1,234 messages".
 * `sentenceStart` capitalises the "No" when the count opens a sentence.
 */
export function countOf(count: number, one: string, other: string, options: { sentenceStart?: boolean } = {}): string {
  if (count === 0) return `${options.sentenceStart ? 'No' : 'no'} ${other}`;
  return `${count.toLocaleString('en-US')} ${plural.select(count) === 'one' ? one : other}`;
}
