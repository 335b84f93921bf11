import type { Config } from '../config/index.js';
import type { Subscriber } from '../db/index.js';
import { signToken, type TokenKeys } from './tokens.js';

/**
 * The personal links every email carries, as paths. Each is a signed token naming the subscriber, the
 * subscription (token_version) and, for mail from the morning send, the edition it came from.
 */
export type LinkSubscriber = Pick<Subscriber, 'id' | 'token_version'>;

function subject(subscriber: LinkSubscriber, editionId?: number) {
  return { subscriberId: subscriber.id, version: subscriber.token_version, ...(editionId !== undefined ? { editionId } : {}) };
}

/** GET shows the unsubscribe page; POST (its button, or a mail client's RFC 8058 one-click) unsubscribes. */
export function unsubscribePath(keys: TokenKeys, subscriber: LinkSubscriber, editionId?: number): string {
  return `/u/${signToken(keys, 'unsubscribe', subject(subscriber, editionId))}`;
}

export function preferencesPath(keys: TokenKeys, subscriber: LinkSubscriber, editionId?: number): string {
  return `/p/${signToken(keys, 'preferences', subject(subscriber, editionId))}`;
}

/** The double opt-in link: GET shows a page whose button POSTs the confirmation. */
export function confirmPath(keys: TokenKeys, subscriber: LinkSubscriber): string {
  return `/confirm/${signToken(keys, 'confirm', subject(subscriber))}`;
}

/*
 * Mail needs absolute links (PUBLIC_URL + the path); pages link to each other by path alone, so
 * these are called only where mail is written.
 */
export function unsubscribeUrl(config: Config, subscriber: LinkSubscriber, editionId?: number): string {
  return config.publicUrl + unsubscribePath(config.keys, subscriber, editionId);
}

export function preferencesUrl(config: Config, subscriber: LinkSubscriber, editionId?: number): string {
  return config.publicUrl + preferencesPath(config.keys, subscriber, editionId);
}

export function confirmUrl(config: Config, subscriber: LinkSubscriber): string {
  return config.publicUrl + confirmPath(config.keys, subscriber);
}
