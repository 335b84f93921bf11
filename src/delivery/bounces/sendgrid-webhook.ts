import { createVerify, type KeyObject } from 'node:crypto';
import type { Clock, Logger } from '../../config/index.js';
import type { Db } from '../../db/index.js';
import type { BounceInput } from './record-bounce.js';
import { isFresh, parseJson, reasonOf, recordWebhookBounces, refused, text, type WebhookOutcome } from './webhook-outcome.js';

/**
 * SendGrid's signed Event Webhook: a JSON array of events, with an ECDSA (P-256, SHA-256) signature,
 * base64 of its DER form, over the timestamp header followed by the body exactly as sent. So the raw
 * bytes are verified before anything parses them: re-serialised JSON would not be what was signed.
 */
export const SENDGRID_SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const SENDGRID_TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';

export type SendgridVerdict = 'ok' | 'signature' | 'stale';

/** Checks the signature with the webhook's public key, then the timestamp's freshness. Pure. */
export function verifySendgridSignature(
  publicKey: KeyObject,
  signature: string | undefined,
  timestamp: string | undefined,
  raw: Buffer,
  now: Date,
): SendgridVerdict {
  if (!signature || !timestamp || !/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return 'signature';
  let valid: boolean;
  try {
    valid = createVerify('sha256')
      .update(Buffer.concat([Buffer.from(timestamp, 'utf8'), raw]))
      .verify(publicKey, Buffer.from(signature, 'base64'));
  } catch {
    // A signature that is not DER at all.
    valid = false;
  }
  if (!valid) return 'signature';
  return isFresh(timestamp, now) ? 'ok' : 'stale';
}

/** `dropped` reasons that mean SendGrid holds the address as bounced, invalid or complaining. */
const DROPPED_HARD = /^(bounced address|invalid)/i;
const DROPPED_COMPLAINT = /^spam reporting address/i;

/**
 * What the events say, pure:
 * - `bounce` with type bounce (or none): hard; with type blocked (a refusal of the message, not of
 *   the address): soft;
 * - `dropped` because SendGrid already holds the address as bounced or invalid: hard; as a spam
 *   reporter: complaint; for other reasons (unsubscribed, content): nothing to record;
 * - `spamreport`: complaint;
 * - every other event (processed, delivered, open, …): nothing to record.
 */
export function readSendgridEvents(events: readonly unknown[]): { bounces: BounceInput[]; skipped: string[] } {
  const bounces: BounceInput[] = [];
  const skipped: string[] = [];
  for (const e of events) {
    const event = text(e, 'event') ?? 'unknown';
    const email = text(e, 'email');
    const reason = text(e, 'reason');
    const status = text(e, 'status');
    if (event === 'bounce' && email) {
      const type = text(e, 'type') ?? 'bounce';
      bounces.push({ kind: type === 'blocked' ? 'soft' : 'hard', email, reason: reasonOf('SendGrid', type, status, reason) });
    } else if (event === 'dropped' && email && reason && DROPPED_HARD.test(reason)) {
      bounces.push({ kind: 'hard', email, reason: reasonOf('SendGrid', 'dropped', reason) });
    } else if ((event === 'spamreport' || (event === 'dropped' && reason && DROPPED_COMPLAINT.test(reason))) && email) {
      bounces.push({ kind: 'complaint', email, reason: reasonOf('SendGrid', event === 'spamreport' ? 'spam report' : 'dropped', reason) });
    } else skipped.push(event.slice(0, 40));
  }
  return { bounces, skipped };
}

export interface SendgridWebhookDeps {
  readonly db: Db;
  readonly log: Logger;
  readonly clock: Clock;
  /** SENDGRID_WEBHOOK_PUBLIC_KEY. */
  readonly publicKey: KeyObject;
}

/** At most this many events in one request (SendGrid batches; its batches are far smaller). */
const MAX_EVENTS = 10_000;

/** POST /api/bounces/sendgrid: the signature over the raw body first (401), then the events. */
export async function receiveSendgridWebhook(
  deps: SendgridWebhookDeps,
  headers: { signature: string | undefined; timestamp: string | undefined },
  raw: Buffer,
): Promise<WebhookOutcome> {
  const verdict = verifySendgridSignature(deps.publicKey, headers.signature, headers.timestamp, raw, deps.clock());
  if (verdict !== 'ok') return refused(401, verdict);
  const events = parseJson(raw);
  if (!Array.isArray(events) || events.length > MAX_EVENTS) return refused(400, 'malformed');
  const reading = readSendgridEvents(events);
  return recordWebhookBounces(deps.db, deps.log, 'sendgrid', reading.bounces, reading.skipped);
}
