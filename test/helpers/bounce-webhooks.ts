import { createHmac, createSign, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Db } from '../../src/db/index.js';
import { snsStringToSign, type SnsEnvelope, type SnsHttp } from '../../src/delivery/index.js';
import { emailHash } from '../../src/subscribers/index.js';

/**
 * What the bounce webhook tests need to play the providers: keys, a self-signed certificate (Node can
 * read X.509 but not write it, so a few lines of DER here), a loopback stand-in for SNS's certificate
 * and subscription host, and signers for each provider's scheme. The fixtures are the providers'
 * documented examples (test/fixtures/bounces/).
 */
export function fixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/bounces/${name}`, import.meta.url), 'utf8')) as T;
}

// --- DER, just enough for an X.509 v3 certificate --------------------------------------------------
function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}
const sequence = (...parts: Buffer[]) => der(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => der(0x31, Buffer.concat(parts));
/** A small non-negative INTEGER (below 128: one byte, as DER wants it minimal). */
const integer = (n: number) => der(0x02, Buffer.from([n & 0x7f]));
const nul = Buffer.from([0x05, 0x00]);
const utf8 = (s: string) => der(0x0c, Buffer.from(s, 'utf8'));
const bitString = (b: Buffer) => der(0x03, Buffer.concat([Buffer.from([0]), b]));
function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [a! * 40 + b!];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = n >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
}
function utcTime(d: Date): Buffer {
  const s = d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  return der(0x17, Buffer.from(s, 'ascii'));
}

/** A self-signed X.509 certificate (PEM, sha256WithRSAEncryption) for an RSA key pair. */
export function selfSignedCertificate(
  keys: { publicKey: KeyObject; privateKey: KeyObject },
  options: { commonName?: string; notBefore?: Date; notAfter?: Date } = {},
): string {
  const algorithm = sequence(oid('1.2.840.113549.1.1.11'), nul);
  const name = sequence(set(sequence(oid('2.5.4.3'), utf8(options.commonName ?? 'sns.amazonaws.com'))));
  const notBefore = options.notBefore ?? new Date(Date.now() - 86_400_000);
  const notAfter = options.notAfter ?? new Date(Date.now() + 365 * 86_400_000);
  const tbs = sequence(
    der(0xa0, integer(2)),
    integer(7),
    algorithm,
    name,
    sequence(utcTime(notBefore), utcTime(notAfter)),
    name,
    keys.publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, keys.privateKey);
  const body = sequence(tbs, algorithm, bitString(signature))
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${body.trim()}\n-----END CERTIFICATE-----\n`;
}

export function rsaKeys() {
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

// --- Amazon SNS ------------------------------------------------------------------------------------
/** Signs an SNS message as SNS does (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA). */
export function signSns<T extends Omit<SnsEnvelope, 'Signature'>>(message: T, privateKey: KeyObject): T & { Signature: string } {
  const algorithm = message.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256';
  const unsigned = { ...message, Signature: '' };
  const signature = createSign(algorithm).update(snsStringToSign(unsigned), 'utf8').sign(privateKey, 'base64');
  return { ...message, Signature: signature };
}

export interface SnsStub {
  /** For startTestServer: sends every URL, whatever its host, to this loopback server (path and query kept). */
  readonly http: SnsHttp;
  /** Every GET the stub answered: the host it was meant for, and the path with its query. */
  readonly requests: { host: string; path: string }[];
  /** What the stub serves: path → PEM (a certificate) for *.pem paths. */
  readonly certificates: Map<string, string>;
  /** Paths the stub answers 503, as a host that is down for now. */
  readonly down: Set<string>;
  close(): Promise<void>;
}

/**
 * A loopback stand-in for SNS's hosts: serves the certificates it is given at their paths and answers
 * ConfirmSubscription with 200. Its SnsHttp takes any URL to it: the receiver's own host rule is all
 * that keeps a certificate URL on another host from being fetched (and served here, and trusted).
 */
export async function startSnsStub(): Promise<SnsStub> {
  const requests: { host: string; path: string }[] = [];
  const certificates = new Map<string, string>();
  const down = new Set<string>();
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push({ host: String(req.headers['x-meant-for'] ?? ''), path });
    const pem = certificates.get(path.split('?')[0]!);
    if (down.has(path.split('?')[0]!)) {
      res.writeHead(503).end();
    } else if (pem) {
      res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(pem);
    } else if (path.startsWith('/?Action=ConfirmSubscription')) {
      res.writeHead(200, { 'content-type': 'text/xml' }).end('<ConfirmSubscriptionResponse/>');
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const http: SnsHttp = {
    async get(url) {
      const response = await fetch(`http://127.0.0.1:${port}${url.pathname}${url.search}`, { headers: { 'x-meant-for': url.host } });
      return { status: response.status, body: await response.text() };
    },
  };
  return {
    http,
    requests,
    certificates,
    down,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// --- Mailgun ---------------------------------------------------------------------------------------
/** A Mailgun webhook body: the documented event with a fresh signature block under `key`. */
export function signMailgun(
  body: { 'event-data': unknown },
  key: string,
  options: { timestamp?: number; token?: string } = {},
): { signature: { timestamp: string; token: string; signature: string }; 'event-data': unknown } {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const token = options.token ?? createHmac('sha256', 'token').update(String(Math.random())).digest('hex').slice(0, 50);
  const signature = createHmac('sha256', key)
    .update(timestamp + token)
    .digest('hex');
  return { signature: { timestamp, token, signature }, 'event-data': body['event-data'] };
}

// --- SendGrid --------------------------------------------------------------------------------------
export function p256Keys() {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

/** SendGrid's headers for a body: base64 DER ECDSA over timestamp + body. */
export function signSendgrid(body: string, privateKey: KeyObject, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = createSign('sha256')
    .update(String(timestamp) + body)
    .sign(privateKey, 'base64');
  return {
    'x-twilio-email-event-webhook-signature': signature,
    'x-twilio-email-event-webhook-timestamp': String(timestamp),
  };
}

/** The public key as SendGrid shows it in its settings: base64 of the DER SubjectPublicKeyInfo. */
export function sendgridKeyText(publicKey: KeyObject): string {
  return publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
}

// --- What an operator would look at --------------------------------------------------------------
/** Active readers at these addresses. */
export async function addReaders(db: Db, emails: readonly string[]): Promise<void> {
  await db
    .insertInto('subscribers')
    .values(emails.map((email) => ({ email, status: 'active' as const })))
    .execute();
}

/** A reader's status, the address's suppression reason, and the reader's bounce and complaint events. */
export async function bounceState(
  db: Db,
  email: string,
): Promise<{ status: string | undefined; suppressed: string | undefined; events: string[] }> {
  const reader = await db.selectFrom('subscribers').select(['id', 'status']).where('email', '=', email).executeTakeFirst();
  const suppression = await db.selectFrom('suppressions').select('reason').where('email_hash', '=', emailHash(email)).executeTakeFirst();
  const events = reader
    ? await db
        .selectFrom('subscriber_events')
        .select(['type', 'reason'])
        .where('subscriber_id', '=', reader.id)
        .where('type', 'in', ['bounced', 'complained'])
        .orderBy('id')
        .execute()
    : [];
  return { status: reader?.status, suppressed: suppression?.reason, events: events.map((e) => `${e.type}: ${e.reason ?? ''}`) };
}

/** Every suppression, by reason (a forged request must add none). */
export async function suppressionCount(db: Db): Promise<number> {
  const row = await db
    .selectFrom('suppressions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
