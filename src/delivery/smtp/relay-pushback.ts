import { enhancedStatus } from './smtp-reply.js';

/**
 * Whether a 4xx reply is the relay pushing back on the sender as a whole (too fast, too many
 * connections) rather than refusing this one message. Pushback is answered per connection (fewer
 * connections, a pause before the next message, the message resent from the pipeline's queue);
 * everything else is answered per message, by the outcome smtp-reply.ts gives it.
 *
 * - `too-many-connections`: the relay limits connections per client (Postfix's
 *   smtpd_client_connection_count_limit, smtp-server's maxClients).
 * - `rate-limit`: the relay limits messages per time (SES "Throttling failure", Gmail 4.7.28,
 *   Microsoft 4.7.500, Postfix "too much mail from", "rate limit", "too many messages", "slow down");
 *   any other 4.7.x except the two below, since 4.7.x is the class of policy replies.
 * - `none`: everything else, among it:
 *   - greylisting ("greylist", 4.2.0 or 4.7.1 with that word): the relay wants the same message again
 *     minutes later; a resend within seconds would be refused again, so the retry policy's delay suits it;
 *   - a bare `4.7.1` with no word of rate or connections ("451 4.7.1 Please try again later"): the
 *     reply greylisting milters (milter-greylist, rspamd) and policy services send, so it is taken
 *     as greylisting;
 *   - mailbox or system replies (4.2.2 mailbox full, 4.5.3 too many recipients, 4.3.0, 4.4.2).
 * Only 4xx replies are read: a 2xx or 5xx is never pushback.
 */
export type Pushback = 'too-many-connections' | 'rate-limit' | 'none';

const TOO_MANY_CONNECTIONS =
  /too many (?:connections|connected clients|concurrent|sessions|simultaneous)|connection (?:count |rate )?limit/i;
const RATE_WORDS =
  /rate.?limit|rate exceeded|sending rate|unusual rate|too many (?:messages|mails)|too much mail|too many recipients from|limits for how many messages|messages per (?:second|minute|hour)|throttl|slow down/i;
const GREYLIST = /gr[ae]y ?list/i;

export function readPushback(code: number, text: string): Pushback {
  if (code < 400 || code >= 500) return 'none';
  if (GREYLIST.test(text)) return 'none';
  if (TOO_MANY_CONNECTIONS.test(text)) return 'too-many-connections';
  if (RATE_WORDS.test(text)) return 'rate-limit';
  const status = enhancedStatus(text);
  if (status?.startsWith('4.7.') && status !== '4.7.1') return 'rate-limit';
  return 'none';
}

/**
 * Whether a connection refused while it was being opened is the relay's connection limit, so the
 * open connections are enough and nothing is wrong with the relay: a 421 at the greeting (the reply
 * RFC 5321 gives to a server that will not take the connection now), or pushback at any step.
 */
export function isConnectionLimit(code: number, text: string): boolean {
  return code === 421 || readPushback(code, text) !== 'none';
}

/** How long a connection waits after pushback: 1 s, doubled after each in a row, at most 30 s. */
export function backoffMs(inARow: number, firstMs = 1000, maxMs = 30_000): number {
  return Math.min(maxMs, firstMs * 2 ** Math.max(0, Math.min(inARow - 1, 30)));
}

/** What the pipeline remembers of a message it put back in its queue. */
export interface Requeued {
  /** Times put back so far. */
  readonly requeues: number;
  /** When it was first put back (ms, the pipeline's clock). */
  readonly firstAt: number | undefined;
}

export const MAX_REQUEUES = 5;
export const MAX_REQUEUED_MS = 120_000;

/**
 * Whether a message refused with pushback goes back to the pipeline's queue once more. Past the
 * bound it is refused to the worker as any 4xx (transient): the retry policy then spaces the
 * attempts, and a relay that keeps pushing back cannot hold a message in memory for ever.
 */
export function mayRequeue(r: Requeued, now: number): boolean {
  return r.requeues < MAX_REQUEUES && (r.firstAt === undefined || now - r.firstAt < MAX_REQUEUED_MS);
}
