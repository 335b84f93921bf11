import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../../config/index.js';
import type { Db } from '../../db/index.js';
import type { BounceInput } from './record-bounce.js';
import { parseJson, reasonOf, recordWebhookBounces, refused, text, type WebhookOutcome } from './webhook-outcome.js';

/**
 * Postmark's bounce and spam complaint webhooks. Postmark does not sign them: the webhook URL carries
 * HTTP basic auth credentials (https://user:password@host/api/bounces/postmark) that only Postmark
 * and this service know, so the credentials are the check.
 */
export interface PostmarkCredentials {
  readonly user: string;
  readonly password: string;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Whether an Authorization header carries the configured user and password. Constant time: the
 * SHA-256 of both sides is compared, so neither the length nor a first wrong byte shows in the time.
 */
export function postmarkAuthorized(header: string | undefined, expected: PostmarkCredentials): boolean {
  const m = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header ?? '');
  const given = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
  const same = timingSafeEqual(digest(given), digest(`${expected.user}:${expected.password}`));
  return same && m !== null;
}

/**
 * Bounce types that mean the address will never take mail: suppressed. Others (Transient,
 * SoftBounce, DnsError, AutoResponder, Blocked, ManuallyDeactivated, …) are soft: logged, no action
 * (a manual deactivation in Postmark is the account owner's choice there, not the mailbox's answer).
 */
const HARD = new Set(['HardBounce', 'BadEmailAddress']);

/** What one Postmark record says, pure: RecordType Bounce (by Type) or SpamComplaint; others have nothing to record. */
export function readPostmarkRecord(record: unknown): { bounces: BounceInput[]; skipped: string[] } {
  const recordType = text(record, 'RecordType') ?? 'unknown';
  const email = text(record, 'Email');
  const type = text(record, 'Type') ?? 'unknown';
  if (recordType === 'SpamComplaint' && email) {
    return { bounces: [{ kind: 'complaint', email, reason: reasonOf('Postmark', 'spam complaint') }], skipped: [] };
  }
  if (recordType === 'Bounce' && email) {
    if (type === 'SpamComplaint')
      return { bounces: [{ kind: 'complaint', email, reason: reasonOf('Postmark', 'spam complaint') }], skipped: [] };
    const kind = HARD.has(type) ? 'hard' : 'soft';
    return { bounces: [{ kind, email, reason: reasonOf('Postmark', type, text(record, 'Description')) }], skipped: [] };
  }
  return { bounces: [], skipped: [recordType.slice(0, 40)] };
}

export interface PostmarkWebhookDeps {
  readonly db: Db;
  readonly log: Logger;
  /** POSTMARK_WEBHOOK_USER and POSTMARK_WEBHOOK_PASSWORD. */
  readonly credentials: PostmarkCredentials;
}

/** POST /api/bounces/postmark: the credentials first (401), then the one record of the request. */
export async function receivePostmarkWebhook(
  deps: PostmarkWebhookDeps,
  authorization: string | undefined,
  raw: Buffer,
): Promise<WebhookOutcome> {
  if (!postmarkAuthorized(authorization, deps.credentials)) return refused(401, 'credentials');
  const record = parseJson(raw);
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return refused(400, 'malformed');
  const reading = readPostmarkRecord(record);
  return recordWebhookBounces(deps.db, deps.log, 'postmark', reading.bounces, reading.skipped);
}
