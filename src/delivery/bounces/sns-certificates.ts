import { X509Certificate } from 'node:crypto';
import type { Clock } from '../../config/index.js';

/**
 * How the SES receiver reaches SNS: GET the signing certificate, GET a SubscribeURL. Production uses
 * fetchSnsHttp; a test passes its own that sends those https://sns.<region>.amazonaws.com URLs to a
 * loopback server. Either way it is only ever called with URLs that passed snsUrl (sns-signature.ts).
 */
export interface SnsHttp {
  get(url: URL): Promise<{ readonly status: number; readonly body: string }>;
}

const FETCH_TIMEOUT_MS = 5_000;
/** A certificate is about 2 KB; a confirmation answer smaller still. */
const MAX_BODY_BYTES = 64 * 1024;

/** fetch(), no redirects followed (an SNS URL that redirects is not SNS's answer), bounded in time and size. */
export const fetchSnsHttp: SnsHttp = {
  async get(url) {
    const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of response.body ?? []) {
      size += (chunk as Uint8Array).byteLength;
      if (size > MAX_BODY_BYTES) throw new Error(`answer larger than ${MAX_BODY_BYTES} bytes`);
      chunks.push(chunk as Uint8Array);
    }
    return { status: response.status, body: Buffer.concat(chunks).toString('utf8') };
  },
};

/** A certificate we could not use: `retryable` when SNS's host did not answer (SNS should try again). */
export class SnsCertificateError extends Error {
  readonly code = 'SNS_CERTIFICATE';
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/**
 * SNS signing certificates by URL, kept so each is fetched once rather than per message: at most
 * MAX_ENTRIES (SNS uses one per region at a time, and rotates them rarely), each for a day. A fetch in
 * flight is shared by the messages that wait for it; a failed one is forgotten, so the next message
 * tries again.
 */
export class SnsCertificates {
  static readonly MAX_ENTRIES = 16;
  static readonly TTL_MS = 24 * 3_600_000;
  private readonly entries = new Map<string, { readonly at: number; readonly cert: Promise<X509Certificate> }>();

  constructor(
    private readonly http: SnsHttp,
    private readonly clock: Clock,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(url: URL): Promise<X509Certificate> {
    const key = url.href;
    const now = this.clock().getTime();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < SnsCertificates.TTL_MS) {
      // Most recently used last, so the oldest is the one evicted.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.cert.then((cert) => usable(cert, this.clock()));
    }
    this.entries.delete(key);
    const cert = this.fetch(url);
    this.entries.set(key, { at: now, cert });
    cert.catch(() => {
      if (this.entries.get(key)?.cert === cert) this.entries.delete(key);
    });
    while (this.entries.size > SnsCertificates.MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    return cert.then((c) => usable(c, this.clock()));
  }

  private async fetch(url: URL): Promise<X509Certificate> {
    let answer: { status: number; body: string };
    try {
      answer = await this.http.get(url);
    } catch (err) {
      throw new SnsCertificateError(`could not fetch the signing certificate: ${(err as Error).message}`, true);
    }
    if (answer.status !== 200) throw new SnsCertificateError(`the signing certificate URL answered ${answer.status}`, answer.status >= 500);
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(answer.body);
    } catch {
      throw new SnsCertificateError('the signing certificate URL did not answer a PEM certificate', false);
    }
    if (cert.publicKey.asymmetricKeyType !== 'rsa') throw new SnsCertificateError('the signing certificate has no RSA key', false);
    return cert;
  }
}

/** The certificate, if it is valid at `now` (an expired one is refused, cached or not). */
function usable(cert: X509Certificate, now: Date): X509Certificate {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  if (!(from <= now.getTime() && now.getTime() <= to)) throw new SnsCertificateError('the signing certificate is not valid now', false);
  return cert;
}
