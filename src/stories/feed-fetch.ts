import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { pipeline } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { HostEntry } from '../config/index.js';
import { isAllowedPrivate, nonPublicKind } from './address-policy.js';
import { FEED_LIMITS } from './feed-limits.js';
import { FeedError } from './parse-feed.js';

export interface FeedFetchOptions {
  /** Hosts whose feeds may come from loopback or private addresses (FEED_ALLOW_PRIVATE); none by default. */
  readonly allowPrivate?: readonly HostEntry[] | 'any' | undefined;
  /** Name resolution: dns.lookup, or a test's own to stand a public-looking name on 127.0.0.1. */
  readonly lookup?: LookupFunction | undefined;
  readonly maxBytes?: number | undefined;
}

export interface FetchedFeed {
  readonly body: Buffer;
  readonly contentType: string | undefined;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const HINT = 'feeds come only from public addresses; FEED_ALLOW_PRIVATE names the hosts allowed to be internal';

/** A connection the address policy refused; carried out of the lookup, then told as a FeedError. */
class AddressRefused extends Error {
  readonly code = 'FEED_ADDRESS_REFUSED';
  constructor(
    readonly address: string,
    readonly kind: string,
  ) {
    super(`${address} is ${kind}`);
  }
}

/**
 * GETs a feed over http(s) from public addresses only (the SSRF guard). The check runs where the
 * connection is made: in the `lookup` that net.connect calls, on every address the name resolves to,
 * so what is checked is what is connected to (a DNS answer that changes between a check and the
 * connection cannot slip through). IP literals, which net.connect never looks up, are checked before
 * connecting; URL parsing has already turned 0x7f000001 and 2130706433 into 127.0.0.1. Redirects
 * are followed by hand, at most FEED_LIMITS.redirects, each hop checked like the first. No pooled
 * agent: a reused socket would skip the lookup.
 *
 * Rejected: fetch() with an undici dispatcher (needs the undici package for its Agent's connect
 * hook), and request-filtering-agent (checks on the socket's 'lookup' event after resolution, by IP
 * only; we allow by host name and port).
 */
export async function fetchFeed(location: string, options: FeedFetchOptions = {}): Promise<FetchedFeed> {
  const maxBytes = options.maxBytes ?? FEED_LIMITS.bytes;
  const signal = AbortSignal.timeout(FEED_LIMITS.fetchMs);
  let url = parseUrl(location, location);
  for (let hop = 0; ; hop++) {
    const response = await get(url, hop, options, signal, location);
    const status = response.statusCode ?? 0;
    const next = REDIRECTS.has(status) ? response.headers.location : undefined;
    if (next !== undefined) {
      response.destroy();
      if (hop >= FEED_LIMITS.redirects) throw new FeedError(location, `redirected more than ${FEED_LIMITS.redirects} times`);
      url = parseUrl(next, location, url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        throw new FeedError(location, `redirected to a ${url.protocol} URL, which is refused`);
      continue;
    }
    if (status < 200 || status > 299) {
      response.destroy();
      throw new FeedError(location, `answered HTTP ${status}`);
    }
    return { body: await readBody(response, maxBytes, location), contentType: response.headers['content-type'] };
  }
}

function parseUrl(href: string, location: string, base?: URL): URL {
  try {
    return new URL(href, base);
  } catch {
    throw new FeedError(location, base ? 'redirected to an invalid URL' : 'is not a valid URL');
  }
}

async function get(url: URL, hop: number, options: FeedFetchOptions, signal: AbortSignal, location: string): Promise<IncomingMessage> {
  const allowed = isAllowedPrivate(url, options.allowPrivate ?? []);
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  const refuse = (address: string, kind: string) => {
    const where = address === literal ? `${url.host} is ${kind}` : `${url.host} resolves to ${address}, ${kind}`;
    return new FeedError(location, `refused: ${hop > 0 ? `redirected to ${url.href}: ` : ''}${where}`, HINT);
  };
  const literalKind = !allowed && isIP(literal) ? nonPublicKind(literal) : undefined;
  if (literalKind) throw refuse(literal, literalKind);

  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(url, {
      agent: false,
      signal,
      lookup: checkedLookup(options.lookup ?? (dnsLookup as LookupFunction), !allowed),
      headers: {
        accept: 'application/rss+xml, application/atom+xml, application/feed+json, application/json, text/xml;q=0.9, */*;q=0.5',
        'user-agent': 'daily-digest feed poller',
        'accept-encoding': 'gzip, deflate, br',
      },
    });
    req.once('response', resolve);
    req.once('error', (err) => {
      if (err instanceof AddressRefused) return reject(refuse(err.address, err.kind));
      const why = signal.aborted ? `timed out after ${FEED_LIMITS.fetchMs / 1000} s` : err.message;
      reject(new FeedError(location, `could not fetch: ${why}`));
    });
    req.end();
  });
}

/**
 * dns.lookup (or the given one) answering in the form net.connect asked for; with `check`, it fails
 * the connection when any address the name has is not public.
 */
function checkedLookup(base: LookupFunction, check: boolean): LookupFunction {
  return (hostname: string, options: LookupOptions, callback) => {
    base(hostname, { ...options, all: true }, (err, found) => {
      if (err) return callback(err, '', 0);
      const addresses: LookupAddress[] = Array.isArray(found) ? found : [{ address: found, family: isIP(found) }];
      for (const a of check ? addresses : []) {
        const kind = nonPublicKind(a.address);
        if (kind) return callback(new AddressRefused(a.address, kind), '', 0);
      }
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/**
 * The body, decompressed, refused as soon as it passes maxBytes (declared, or counted after
 * decompression: a 100 KB gzip of 100 MB of zeros stops at 5 MB), never read whole first.
 */
async function readBody(response: IncomingMessage, maxBytes: number, location: string): Promise<Buffer> {
  const declared = Number(response.headers['content-length'] ?? 0);
  if (declared > maxBytes) {
    response.destroy();
    throw new FeedError(location, `is ${declared} bytes; the limit is ${maxBytes}`);
  }
  const encoding = String(response.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  const inflate =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? createGunzip()
      : encoding === 'deflate'
        ? createInflate()
        : encoding === 'br'
          ? createBrotliDecompress()
          : undefined;
  const body = inflate ? pipeline(response, inflate, () => undefined) : response;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      if (size > maxBytes) {
        response.destroy();
        inflate?.destroy();
        throw new FeedError(location, `is larger than the limit of ${maxBytes} bytes`);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof FeedError) throw err;
    throw new FeedError(location, `could not fetch: ${(err as Error).message}`);
  }
  return Buffer.concat(chunks);
}
