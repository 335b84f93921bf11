/**
 * What follows the preheader in its hidden div: a zero-width non-joiner, a combining grapheme joiner
 * and a no-break space, repeated, as the large senders do. Mail apps show them as blank space, so the
 * inbox preview ends with the preheader instead of running on into the masthead and the greeting.
 * About 130 repetitions cover the longest previews (Apple Mail, Outlook: about 200 characters) for
 * 2.6 KB of the 102 KB HTML budget.
 */
export const PREHEADER_FILLER = '&zwnj;&#847;&nbsp;'.repeat(130);
