import type { Clock, Logger } from '../../config/index.js';
import type { Db } from '../../db/index.js';
import { SnsCertificateError, type SnsCertificates, type SnsHttp } from './sns-certificates.js';
import { parseSnsEnvelope, snsCertificateUrl, snsUrl, verifySnsSignature } from './sns-signature.js';
import { readSesNotification } from './ses-notification.js';
import { parseJson, recordWebhookBounces, refused, type WebhookOutcome } from './webhook-outcome.js';

export interface SesWebhookDeps {
  readonly db: Db;
  readonly log: Logger;
  readonly clock: Clock;
  /** SES_SNS_TOPIC_ARNS: the only topics whose messages are read and whose subscriptions are confirmed. */
  readonly topicArns: readonly string[];
  readonly certificates: SnsCertificates;
  readonly http: SnsHttp;
}

/**
 * POST /api/bounces/ses: one message from Amazon SNS, carrying SES bounce and complaint notifications.
 * In this order, each refusal cheaper than the next:
 * 1. the body is SNS's JSON (SNS posts it as text/plain);
 * 2. SigningCertURL is on an SNS host (https://sns.<region>.amazonaws.com/….pem), else 401: a forged
 *    message cannot make us fetch, or trust, a key of its own;
 * 3. TopicArn is one the operator configured, else 403: anyone can publish validly signed SNS
 *    messages from a topic of their own, so the signature alone says nothing about whose topic it is;
 * 4. the signature verifies (SignatureVersion 1 SHA1withRSA or 2 SHA256withRSA) with the certificate
 *    (fetched once, then cached), else 401.
 * Then a SubscriptionConfirmation is confirmed by GETting its SubscribeURL (an SNS host too); a
 * Notification's bounces and complaints are recorded; anything else is answered 200 and ignored.
 * SNS delivers at least once: a repeated message records nothing more (recordBounce is idempotent).
 */
export async function receiveSesMessage(deps: SesWebhookDeps, raw: Buffer): Promise<WebhookOutcome> {
  const message = parseSnsEnvelope(parseJson(raw));
  if (!message) return refused(400, 'malformed');
  const certUrl = snsCertificateUrl(message.SigningCertURL);
  if (!certUrl) return refused(401, 'cert_url');
  if (!deps.topicArns.includes(message.TopicArn)) return refused(403, 'topic');
  try {
    const cert = await deps.certificates.get(certUrl);
    if (!verifySnsSignature(message, cert)) return refused(401, 'signature');
  } catch (err) {
    if (!(err instanceof SnsCertificateError)) throw err;
    return refused(err.retryable ? 503 : 401, err.retryable ? 'cert_unavailable' : 'cert', err.message);
  }
  const topic = message.TopicArn;
  switch (message.Type) {
    case 'SubscriptionConfirmation':
      return confirmSubscription(deps, topic, message.SubscribeURL);
    case 'UnsubscribeConfirmation':
      deps.log.warn({ event: 'bounce.sns_unsubscribed', topic }, 'the SNS topic no longer sends here: SES bounces will not arrive');
      return { ok: true, recorded: 0, ignored: 1 };
    case 'Notification': {
      const notification = parseJson(Buffer.from(message.Message, 'utf8'));
      const reading = readSesNotification(notification);
      return recordWebhookBounces(deps.db, deps.log, 'ses', reading.bounces, reading.skipped);
    }
    default:
      return recordWebhookBounces(deps.db, deps.log, 'ses', [], [message.Type.slice(0, 40)]);
  }
}

/** GETs the SubscribeURL of a verified confirmation request; 503 when SNS does not answer 200, so it asks again. */
async function confirmSubscription(deps: SesWebhookDeps, topic: string, subscribeUrl: string | undefined): Promise<WebhookOutcome> {
  const url = snsUrl(subscribeUrl);
  if (!url) return refused(400, 'malformed');
  try {
    const answer = await deps.http.get(url);
    if (answer.status !== 200) throw new Error(`SNS answered ${answer.status}`);
  } catch (err) {
    return refused(503, 'subscribe_failed', `could not confirm the subscription to ${topic}: ${(err as Error).message}`);
  }
  deps.log.info({ event: 'bounce.sns_subscribed', topic }, 'SNS subscription confirmed: SES bounces and complaints will arrive here');
  return { ok: true, recorded: 0, ignored: 0 };
}
