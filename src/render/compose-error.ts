/** A message that cannot be composed: a header value that would break the MIME, a bad Message-ID. */
export class ComposeError extends Error {
  readonly code = 'compose_invalid';
}
