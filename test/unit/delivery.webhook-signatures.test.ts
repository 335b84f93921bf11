import { X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseSnsEnvelope,
  postmarkAuthorized,
  snsCertificateUrl,
  snsUrl,
  TIMESTAMP_TOLERANCE_MS,
  verifyMailgunSignature,
  verifySendgridSignature,
  verifySnsSignature,
  type SnsEnvelope,
} from '../../src/delivery/index.js';
import { fixture, p256Keys, rsaKeys, selfSignedCertificate, signMailgun, signSendgrid, signSns } from '../helpers/bounce-webhooks.js';

/**
 * The pure checks behind the bounce webhooks: a request verifies only as the provider signed it.
 * Properties: whatever single byte of a signed field (or body) changes, it no longer verifies.
 */
const rsa = rsaKeys();
const cert = new X509Certificate(selfSignedCertificate(rsa));
const other = rsaKeys();
const NOW = new Date('2026-11-25T06:00:00Z');
const nowSeconds = Math.floor(NOW.getTime() / 1000);

/** `s` with the character at `index` (modulo its length) changed: xor `mask` (1–127) on ASCII always changes it. */
function alter(s: string, index: number, mask: number): string {
  const i = index % s.length;
  const c = s.charCodeAt(i);
  const d = c < 0x80 ? c ^ mask : 0x41;
  return s.slice(0, i) + String.fromCharCode(d) + s.slice(i + 1);
}

describe('SNS message signatures', () => {
  const notification = fixture<Omit<SnsEnvelope, 'Signature'>>('sns-notification.json');
  const confirmation = fixture<Omit<SnsEnvelope, 'Signature'>>('sns-subscription-confirmation.json');
  const withMessage = { ...notification, Message: JSON.stringify(fixture('ses-bounce-permanent.json')) };

  it.each(['1', '2'])('verifies a Notification and a SubscriptionConfirmation signed with SignatureVersion %s', (version) => {
    for (const m of [withMessage, confirmation, { ...withMessage, Subject: 'Amazon SES Email Event Notification' }]) {
      const signed = signSns({ ...m, SignatureVersion: version }, rsa.privateKey);
      expect(verifySnsSignature(parseSnsEnvelope(signed)!, cert)).toBe(true);
    }
  });

  it('refuses another key, an unknown SignatureVersion, and a signature that is not base64', () => {
    const signed = signSns({ ...withMessage, SignatureVersion: '2' }, other.privateKey);
    expect(verifySnsSignature(signed, cert)).toBe(false);
    const good = signSns({ ...withMessage, SignatureVersion: '2' }, rsa.privateKey);
    expect(verifySnsSignature({ ...good, SignatureVersion: '3' }, cert)).toBe(false);
    expect(verifySnsSignature({ ...good, Signature: '!!!' }, cert)).toBe(false);
    expect(verifySnsSignature({ ...good, Signature: '' }, cert)).toBe(false);
  });

  it('fails when any byte of a signed field changes', () => {
    const fields = ['Message', 'MessageId', 'Timestamp', 'TopicArn', 'Type', 'Subject'] as const;
    const signedBy = (version: string) => signSns({ ...withMessage, Subject: 'S', SignatureVersion: version }, rsa.privateKey);
    const signed = { '1': signedBy('1'), '2': signedBy('2') };
    fc.assert(
      fc.property(
        fc.constantFrom('1', '2'),
        fc.constantFrom(...fields),
        fc.nat(),
        fc.integer({ min: 1, max: 127 }),
        (version, field, index, mask) => {
          const m = signed[version as '1' | '2'];
          const forged = { ...m, [field]: alter(m[field], index, mask) };
          return verifySnsSignature(forged, cert) === false;
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reads only envelopes with every signed field', () => {
    const signed = signSns({ ...withMessage }, rsa.privateKey);
    expect(parseSnsEnvelope(signed)).toMatchObject({ Type: 'Notification' });
    const { SigningCertURL: _, ...noCert } = signed;
    expect(parseSnsEnvelope(noCert)).toBeUndefined();
    const { Token: __, ...noToken } = signSns(confirmation, rsa.privateKey);
    expect(parseSnsEnvelope(noToken)).toBeUndefined();
    expect(parseSnsEnvelope([signed])).toBeUndefined();
    expect(parseSnsEnvelope('{}')).toBeUndefined();
  });
});

describe("SNS's hosts: where a certificate or a subscription URL may be", () => {
  it.each([
    'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem',
    'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem',
    'https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem',
    'https://SNS.US-EAST-1.AMAZONAWS.COM/x.pem',
  ])('takes %s', (url) => {
    expect(snsCertificateUrl(url)?.hostname).toMatch(/^sns\./);
  });

  it.each([
    ['http, not https', 'http://sns.us-east-1.amazonaws.com/x.pem'],
    ['another host', 'https://evil.example/SimpleNotificationService-abc.pem'],
    ['an SNS-looking subdomain of another host', 'https://sns.us-east-1.amazonaws.com.evil.example/x.pem'],
    ['another AWS service', 'https://s3.us-east-1.amazonaws.com/x.pem'],
    ['a bucket', 'https://bucket.s3.amazonaws.com/sns.us-east-1.amazonaws.com/x.pem'],
    ['no region', 'https://sns.amazonaws.com/x.pem'],
    ['a port', 'https://sns.us-east-1.amazonaws.com:8443/x.pem'],
    ['credentials', 'https://user:pw@sns.us-east-1.amazonaws.com/x.pem'],
    ['not a .pem', 'https://sns.us-east-1.amazonaws.com/x.txt'],
    ['a query', 'https://sns.us-east-1.amazonaws.com/x.pem?redirect=https://evil.example/'],
    ['a host with a trailing dot', 'https://sns.us-east-1.amazonaws.com./x.pem'],
    ['not a URL', 'sns.us-east-1.amazonaws.com/x.pem'],
  ])('refuses %s', (_why, url) => {
    expect(snsCertificateUrl(url)).toBeUndefined();
  });

  it('takes a SubscribeURL on an SNS host, with its query, and nothing else', () => {
    const confirm =
      'https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:T&Token=abc';
    expect(snsUrl(confirm)?.search).toContain('Action=ConfirmSubscription');
    expect(snsUrl('https://169.254.169.254/latest/meta-data/')).toBeUndefined();
    expect(snsUrl('https://127.0.0.1/?Action=ConfirmSubscription')).toBeUndefined();
    expect(snsUrl(undefined)).toBeUndefined();
  });
});

describe('Mailgun signatures', () => {
  const KEY = 'key-0123456789abcdef0123456789abcdef';
  const event = fixture<{ 'event-data': unknown }>('mailgun-failed-permanent.json');

  it('verifies a fresh signature, and calls one outside ±15 minutes stale', () => {
    const ok = signMailgun(event, KEY, { timestamp: nowSeconds - 60 });
    expect(verifyMailgunSignature(KEY, ok.signature, NOW)).toBe('ok');
    const edge = signMailgun(event, KEY, { timestamp: nowSeconds + TIMESTAMP_TOLERANCE_MS / 1000 });
    expect(verifyMailgunSignature(KEY, edge.signature, NOW)).toBe('ok');
    const old = signMailgun(event, KEY, { timestamp: nowSeconds - TIMESTAMP_TOLERANCE_MS / 1000 - 1 });
    expect(verifyMailgunSignature(KEY, old.signature, NOW)).toBe('stale');
  });

  it("refuses another key's signature", () => {
    const signed = signMailgun(event, 'key-another-0123456789abcdef', { timestamp: nowSeconds });
    expect(verifyMailgunSignature(KEY, signed.signature, NOW)).toBe('signature');
  });

  it('fails when any character of the timestamp, token or signature changes', () => {
    const signed = signMailgun(event, KEY, { timestamp: nowSeconds }).signature;
    fc.assert(
      fc.property(fc.constantFrom('timestamp', 'token', 'signature'), fc.nat(), fc.integer({ min: 1, max: 127 }), (field, index, mask) => {
        const forged = { ...signed, [field]: alter(signed[field as keyof typeof signed], index, mask) };
        return verifyMailgunSignature(KEY, forged, NOW) === 'signature';
      }),
      { numRuns: 300 },
    );
  });
});

describe('SendGrid signatures', () => {
  const keys = p256Keys();
  const body = JSON.stringify(fixture('sendgrid-events.json'));

  it('verifies the signature over timestamp and raw body, and calls an old one stale', () => {
    const headers = signSendgrid(body, keys.privateKey, nowSeconds);
    const verify = (h: Record<string, string>, b = body) =>
      verifySendgridSignature(
        keys.publicKey,
        h['x-twilio-email-event-webhook-signature'],
        h['x-twilio-email-event-webhook-timestamp'],
        Buffer.from(b),
        NOW,
      );
    expect(verify(headers)).toBe('ok');
    expect(verify(signSendgrid(body, keys.privateKey, nowSeconds - 16 * 60))).toBe('stale');
    expect(verify(signSendgrid(body, p256Keys().privateKey, nowSeconds))).toBe('signature');
    // The same JSON, re-serialised: not what was signed.
    expect(verify(headers, JSON.stringify(JSON.parse(body), null, 1))).toBe('signature');
    expect(verifySendgridSignature(keys.publicKey, undefined, String(nowSeconds), Buffer.from(body), NOW)).toBe('signature');
    expect(verifySendgridSignature(keys.publicKey, 'bm90IERFUg==', String(nowSeconds), Buffer.from(body), NOW)).toBe('signature');
  });

  it('fails when any byte of the body or the timestamp changes', () => {
    const headers = signSendgrid(body, keys.privateKey, nowSeconds);
    const signature = headers['x-twilio-email-event-webhook-signature'];
    const raw = Buffer.from(body);
    fc.assert(
      fc.property(fc.boolean(), fc.nat(), fc.integer({ min: 1, max: 255 }), (inBody, index, mask) => {
        if (inBody) {
          const forged = Buffer.from(raw);
          const i = index % forged.length;
          forged[i] = forged[i]! ^ mask;
          return verifySendgridSignature(keys.publicKey, signature, String(nowSeconds), forged, NOW) === 'signature';
        }
        const timestamp = alter(String(nowSeconds), index, mask & 0x7f || 1);
        return verifySendgridSignature(keys.publicKey, signature, timestamp, raw, NOW) === 'signature';
      }),
      { numRuns: 200 },
    );
  });
});

describe("Postmark's basic auth", () => {
  const expected = { user: 'postmark', password: 'a-long-webhook-password' };
  const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

  it('takes the configured user and password only', () => {
    expect(postmarkAuthorized(basic('postmark:a-long-webhook-password'), expected)).toBe(true);
    expect(postmarkAuthorized(`basic  ${Buffer.from('postmark:a-long-webhook-password').toString('base64')}`, expected)).toBe(true);
    for (const wrong of [
      basic('postmark:a-long-webhook-passwore'),
      basic('Postmark:a-long-webhook-password'),
      basic('postmark:a-long-webhook-password '),
      basic('postmark:'),
      basic(''),
      `Bearer ${Buffer.from('postmark:a-long-webhook-password').toString('base64')}`,
      'Basic',
      '',
      undefined,
    ]) {
      expect(postmarkAuthorized(wrong, expected), String(wrong)).toBe(false);
    }
  });

  it('refuses every password but the right one', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (password) => {
        fc.pre(password !== expected.password);
        return !postmarkAuthorized(basic(`postmark:${password}`), expected);
      }),
    );
  });
});
