import type { Logger } from '../../config/index.js';
import type { Db } from '../../db/index.js';
import { recordBounce, type BounceInput } from './record-bounce.js';

/**
 * What a provider's bounce webhook (Amazon SES through SNS, Mailgun, Postmark, SendGrid) made of one
 * request. The receivers are plain functions that return this; the HTTP route turns it into a status
 * and the one log line a refusal gets, so every provider is answered and logged the same way.
 */
export type WebhookProvider = 'ses' | 'mailgun' | 'postmark' | 'sendgrid';

/**
 * Why a request was refused, as logged (`bounce.webhook_refused`, field `why`):
 * - malformed: the body is not the provider's JSON (400);
 * - credentials: Postmark's basic auth is missing or wrong (401);
 * - signature: the signature is missing or does not verify (401);
 * - stale: the signed timestamp is further than TIMESTAMP_TOLERANCE_MS from now (401);
 * - replay: a Mailgun token already used (401);
 * - cert_url: SNS's SigningCertURL is not an https://sns.<region>.amazonaws.com/….pem URL (401);
 * - cert: the signing certificate could not be read as an RSA certificate valid now (401);
 * - cert_unavailable: the certificate could not be fetched for now (503, so SNS tries again);
 * - topic: an SNS topic not in SES_SNS_TOPIC_ARNS (403);
 * - subscribe_failed: confirming a subscription failed for now (503, so SNS tries again).
 */
export type RefusalReason =
  | 'malformed'
  | 'credentials'
  | 'signature'
  | 'stale'
  | 'replay'
  | 'cert_url'
  | 'cert'
  | 'cert_unavailable'
  | 'topic'
  | 'subscribe_failed';

export type WebhookOutcome =
  | { readonly ok: true; readonly recorded: number; readonly ignored: number }
  | {
      readonly ok: false;
      readonly status: 400 | 401 | 403 | 503;
      readonly why: RefusalReason;
      /** Our words on what failed (never a secret, never the body), for the log line. */
      readonly detail?: string | undefined;
    };

export const refused = (status: 400 | 401 | 403 | 503, why: RefusalReason, detail?: string): WebhookOutcome => ({
  ok: false,
  status,
  why,
  detail,
});

/**
 * How far a signed timestamp (Mailgun's, SendGrid's) may be from our clock, either way. Mailgun's
 * documentation suggests checking freshness; fifteen minutes allows for clock skew and queueing
 * without keeping a captured request usable for long.
 */
export const TIMESTAMP_TOLERANCE_MS = 15 * 60_000;

/** Whether a signed Unix timestamp (seconds, as text) is within the tolerance of `now`. */
export function isFresh(timestamp: string, now: Date): boolean {
  if (!/^\d{1,12}(\.\d+)?$/.test(timestamp)) return false;
  return Math.abs(Number(timestamp) * 1000 - now.getTime()) <= TIMESTAMP_TOLERANCE_MS;
}

/** The JSON of a verified body, or undefined when it is not JSON. */
export function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Records each bounce or complaint the way a DSN or POST /api/bounces does (recordBounce: a hard
 * bounce or complaint suppresses the address, a soft one is logged); `skipped` counts the events the
 * provider sent that are neither (deliveries, opens, unknown types), answered 200 so it does not retry.
 */
export async function recordWebhookBounces(
  db: Db,
  log: Logger,
  provider: WebhookProvider,
  bounces: readonly BounceInput[],
  skipped: readonly string[],
): Promise<WebhookOutcome> {
  let recorded = 0;
  let ignored = skipped.length;
  for (const bounce of bounces) {
    const result = await recordBounce(db, log, bounce);
    if (result.recorded) recorded += 1;
    else ignored += 1;
  }
  if (skipped.length > 0) {
    // Event names only: never the body, which carries addresses.
    const types = [...new Set(skipped)].slice(0, 10);
    log.info({ event: 'bounce.webhook_ignored', provider, count: skipped.length, types }, 'webhook events with nothing to record');
  }
  return { ok: true, recorded, ignored };
}

/** A string field of a parsed JSON object, or undefined. */
export function text(value: unknown, key: string): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const v = (value as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : undefined;
}

/** One line for the suppression and the subscriber event, from the provider's words. */
export function reasonOf(provider: string, ...parts: (string | number | undefined | null)[]): string {
  const words = parts
    .filter((p) => p !== undefined && p !== null && String(p).trim() !== '')
    .map(String)
    .join(' ');
  return `${words} (via ${provider})`.replace(/\s+/g, ' ').trim().slice(0, 500);
}
