import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Config } from '../config/index.js';
import type { Db, Subscriber } from '../db/index.js';
import { findByToken, verifyToken, type TokenPurpose, type TokenSubject } from '../subscribers/index.js';
import { badLinkPage } from './reader-request.js';

/** The purposes of the links a reader opens: each names a reader (the click link names an edition's story). */
export type ReaderLinkPurpose = Extract<TokenPurpose, 'confirm' | 'unsubscribe' | 'preferences'>;

/** What a verified reader link gives its handler. */
export interface TokenReader {
  /** The token as it came in the URL: the page's forms post back to it. */
  readonly token: string;
  readonly subject: TokenSubject;
  /** The subscriber as read before the handler runs; a handler that changes it reads it again. */
  readonly subscriber: Subscriber;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by readerFromToken(); read it with tokenReader(request). */
    tokenReader?: TokenReader;
  }
}

/**
 * preHandler for the routes behind a reader's signed link (`/confirm/:token`, `/u/:token`,
 * `/p/:token`): the one home of "verify the token, find its subscriber, or answer the bad-link page".
 * - a forged, truncated, altered or other-purpose token: 400, nothing read;
 * - a token of an earlier subscription (token_version bumped) or of an erased reader, or a subscriber
 *   the route cannot serve (`usable` false; the preference page refuses bounced readers): 410.
 * The comparison itself is constant time, in subscribers/tokens.ts.
 */
export function readerFromToken(
  deps: { readonly config: Config; readonly db: Db },
  purpose: ReaderLinkPurpose,
  usable: (subscriber: Subscriber) => boolean = () => true,
): preHandlerAsyncHookHandler {
  const { config, db } = deps;
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const token = (request.params as { token?: unknown }).token;
    const v = verifyToken(config.keys, purpose, token);
    if (!v.ok) return badLinkPage(reply, config, 400, 'invalid');
    const subscriber = await findByToken(db, v.subject);
    if (!subscriber || !usable(subscriber)) return badLinkPage(reply, config, 410, 'stale');
    request.tokenReader = { token: token as string, subject: v.subject, subscriber };
  };
}

/** The reader readerFromToken() found for this request. */
export function tokenReader(request: FastifyRequest): TokenReader {
  const reader = request.tokenReader;
  if (!reader)
    throw new Error(`route ${request.routeOptions.url ?? request.url} reads the token's reader without the readerFromToken preHandler`);
  return reader;
}
