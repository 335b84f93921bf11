import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock, Logger } from '../../config/index.js';
import type { Db } from '../../db/index.js';
import { hitRateLimit, rateLimitHits } from '../../subscribers/index.js';
import type { BounceInput } from './record-bounce.js';
import {
  isFresh,
  parseJson,
  reasonOf,
  recordWebhookBounces,
  refused,
  text,
  TIMESTAMP_TOLERANCE_MS,
  type WebhookOutcome,
} from './webhook-outcome.js';

/**
 * Mailgun's webhooks (JSON, one event per request):
 *   {"signature": {"timestamp": "1529006854", "token": "a8ce…", "signature": "d227…"},
 *    "event-data": {"event": "failed", "severity": "permanent", "recipient": "…", …}}
 * The signature is the hex HMAC-SHA256 of timestamp + token under the webhook signing key.
 */
export interface MailgunSignature {
  readonly timestamp: string;
  readonly token: string;
  readonly signature: string;
}

export type MailgunVerdict = 'ok' | 'signature' | 'stale';

/** Checks the signature (constant time), then that the timestamp is within TIMESTAMP_TOLERANCE_MS of now. Pure. */
export function verifyMailgunSignature(signingKey: string, s: MailgunSignature, now: Date): MailgunVerdict {
  const expected = createHmac('sha256', signingKey)
    .update(s.timestamp + s.token, 'utf8')
    .digest();
  const given = /^[0-9a-f]{64}$/.test(s.signature) ? Buffer.from(s.signature, 'hex') : undefined;
  if (!given || !timingSafeEqual(expected, given)) return 'signature';
  return isFresh(s.timestamp, now) ? 'ok' : 'stale';
}

/** The signature block of a Mailgun webhook body, or undefined. */
export function mailgunSignatureOf(body: unknown): MailgunSignature | undefined {
  const s = body !== null && typeof body === 'object' ? (body as Record<string, unknown>).signature : undefined;
  const timestamp = text(s, 'timestamp');
  const token = text(s, 'token');
  const signature = text(s, 'signature');
  return timestamp && token && signature && token.length <= 200 ? { timestamp, token, signature } : undefined;
}

/**
 * What one event says, pure: `failed` with severity permanent is a hard bounce (temporary: soft,
 * logged only); `complained` is a complaint; every other event (delivered, opened, unsubscribed, …)
 * has nothing to record.
 */
export function readMailgunEvent(eventData: unknown): { bounces: BounceInput[]; skipped: string[] } {
  const event = text(eventData, 'event') ?? 'unknown';
  const email = text(eventData, 'recipient');
  if ((event !== 'failed' && event !== 'complained') || !email) return { bounces: [], skipped: [event.slice(0, 40)] };
  if (event === 'complained') return { bounces: [{ kind: 'complaint', email, reason: reasonOf('Mailgun', 'complaint') }], skipped: [] };
  const severity = text(eventData, 'severity');
  const status = (eventData as Record<string, unknown>)['delivery-status'];
  const code = status !== null && typeof status === 'object' ? (status as Record<string, unknown>).code : undefined;
  const words = text(status, 'description') || text(status, 'message') || text(eventData, 'reason');
  return {
    bounces: [
      {
        kind: severity === 'permanent' ? 'hard' : 'soft',
        email,
        reason: reasonOf('Mailgun', `failed (${severity ?? 'unknown'})`, typeof code === 'number' ? code : undefined, words),
      },
    ],
    skipped: [],
  };
}

export interface MailgunWebhookDeps {
  readonly db: Db;
  readonly log: Logger;
  readonly clock: Clock;
  /** MAILGUN_WEBHOOK_SIGNING_KEY. */
  readonly signingKey: string;
}

/**
 * POST /api/bounces/mailgun. A signed request is used once: its token is remembered (in the shared
 * rate_limits table, so every instance knows it, for twice the timestamp tolerance, after which the
 * timestamp alone refuses it) and a second request with it is refused as a replay. The token is
 * remembered after the event is recorded, so a request that failed half-way may be sent again.
 */
export async function receiveMailgunWebhook(deps: MailgunWebhookDeps, raw: Buffer): Promise<WebhookOutcome> {
  const body = parseJson(raw);
  const signature = mailgunSignatureOf(body);
  if (!signature) return refused(401, 'signature', 'no signature block');
  const verdict = verifyMailgunSignature(deps.signingKey, signature, deps.clock());
  if (verdict !== 'ok') return refused(401, verdict);
  const tokenKey = `mailgun.token:${signature.token}`;
  if ((await rateLimitHits(deps.db, tokenKey)).hits > 0) return refused(401, 'replay');
  const reading = readMailgunEvent((body as Record<string, unknown>)['event-data']);
  const outcome = await recordWebhookBounces(deps.db, deps.log, 'mailgun', reading.bounces, reading.skipped);
  await hitRateLimit(deps.db, tokenKey, 2 * TIMESTAMP_TOLERANCE_MS);
  return outcome;
}
