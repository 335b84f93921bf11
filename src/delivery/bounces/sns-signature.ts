import { createVerify, type KeyObject, type X509Certificate } from 'node:crypto';

/**
 * Amazon SNS's HTTP(S) messages and their signatures, pure: the route feeds it the posted JSON and
 * the signing certificate. What SNS signs is a fixed list of the message's fields, each as
 * "Name\nvalue\n", in this order (AWS: "Verifying the signatures of Amazon SNS messages").
 */
export interface SnsEnvelope {
  readonly Type: string;
  readonly MessageId: string;
  readonly TopicArn: string;
  readonly Message: string;
  readonly Timestamp: string;
  readonly SignatureVersion: string;
  readonly Signature: string;
  readonly SigningCertURL: string;
  readonly Subject?: string | undefined;
  readonly SubscribeURL?: string | undefined;
  readonly Token?: string | undefined;
}

const REQUIRED = ['Type', 'MessageId', 'TopicArn', 'Message', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL'] as const;

/** The envelope of a posted SNS message, or undefined when a signed field is missing or not text. */
export function parseSnsEnvelope(value: unknown): SnsEnvelope | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const o = value as Record<string, unknown>;
  for (const key of REQUIRED) if (typeof o[key] !== 'string') return undefined;
  const optional = (key: string) => (typeof o[key] === 'string' ? (o[key] as string) : undefined);
  const envelope = {
    ...(Object.fromEntries(REQUIRED.map((k) => [k, o[k]])) as Record<(typeof REQUIRED)[number], string>),
    Subject: optional('Subject'),
    SubscribeURL: optional('SubscribeURL'),
    Token: optional('Token'),
  };
  if (envelope.Type !== 'Notification' && (envelope.SubscribeURL === undefined || envelope.Token === undefined)) return undefined;
  return envelope;
}

/** The text SNS signed: a Notification's fields, or a (Un)SubscriptionConfirmation's. */
export function snsStringToSign(m: SnsEnvelope): string {
  const fields: [string, string | undefined][] =
    m.Type === 'Notification'
      ? [
          ['Message', m.Message],
          ['MessageId', m.MessageId],
          ['Subject', m.Subject],
          ['Timestamp', m.Timestamp],
          ['TopicArn', m.TopicArn],
          ['Type', m.Type],
        ]
      : [
          ['Message', m.Message],
          ['MessageId', m.MessageId],
          ['SubscribeURL', m.SubscribeURL],
          ['Timestamp', m.Timestamp],
          ['Token', m.Token],
          ['TopicArn', m.TopicArn],
          ['Type', m.Type],
        ];
  // A Notification published without a subject has no Subject line at all.
  return fields
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}\n${v}\n`)
    .join('');
}

/** SignatureVersion 1 is SHA1withRSA, 2 is SHA256withRSA; anything else is not SNS's. */
const ALGORITHMS: Record<string, string> = { '1': 'RSA-SHA1', '2': 'RSA-SHA256' };

/** Whether the message's signature verifies with the certificate's public key. */
export function verifySnsSignature(m: SnsEnvelope, key: X509Certificate | KeyObject): boolean {
  const algorithm = ALGORITHMS[m.SignatureVersion];
  if (!algorithm || !/^[A-Za-z0-9+/]+={0,2}$/.test(m.Signature)) return false;
  const publicKey = 'publicKey' in key ? key.publicKey : key;
  try {
    return createVerify(algorithm).update(snsStringToSign(m), 'utf8').verify(publicKey, Buffer.from(m.Signature, 'base64'));
  } catch {
    // A key of another type (EC) or a signature of the wrong length: not verified.
    return false;
  }
}

/**
 * SNS's own hosts: sns.<region>.amazonaws.com (and .amazonaws.com.cn in China), over https on the
 * default port, no credentials. The certificate URL and the subscription URL must both be on one,
 * so a forged message cannot point us at a key of its own or make us GET an address of its choosing.
 */
const SNS_HOST = /^sns\.[a-z0-9-]{3,40}\.amazonaws\.com(\.cn)?$/;

export function snsUrl(href: string | undefined): URL | undefined {
  if (href === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' || url.port !== '' || url.username !== '' || url.password !== '') return undefined;
  return SNS_HOST.test(url.hostname) ? url : undefined;
}

/** SigningCertURL: an SNS host (snsUrl) and a .pem file. */
export function snsCertificateUrl(href: string): URL | undefined {
  const url = snsUrl(href);
  return url?.pathname.endsWith('.pem') && url.search === '' ? url : undefined;
}
