import { readFile, stat } from 'node:fs/promises';
import { fetchFeed, type FeedFetchOptions } from './feed-fetch.js';
import { FEED_LIMITS } from './feed-limits.js';
import { FeedError } from './parse-feed.js';

/**
 * The text of a local file or an http(s) URL, refusing anything over the size limit before reading it
 * all into memory. URLs are fetched through the SSRF guard (feed-fetch.ts).
 */
export async function loadDocument(location: string, options: FeedFetchOptions = {}): Promise<string> {
  const maxBytes = options.maxBytes ?? FEED_LIMITS.bytes;
  if (/^https?:\/\//i.test(location)) {
    const fetched = await fetchFeed(location, { ...options, maxBytes });
    return decode(fetched.body, fetched.contentType);
  }
  const info = await stat(location).catch((err: NodeJS.ErrnoException) => {
    throw new FeedError(location, err.code === 'ENOENT' ? 'no such file' : err.message);
  });
  if (info.size > maxBytes) throw new FeedError(location, `file is ${info.size} bytes; the limit is ${maxBytes}`);
  return decode(await readFile(location), undefined);
}

/** Decodes by BOM, then the XML declaration or Content-Type charset, defaulting to UTF-8. */
function decode(bytes: Buffer, contentType: string | undefined): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3).toString('utf8');
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  const head = bytes.subarray(0, 200).toString('latin1');
  const charset = /<\?xml[^>]*encoding=["']([\w-]+)["']/i.exec(head)?.[1] ?? /charset=([\w-]+)/i.exec(contentType ?? '')?.[1] ?? 'utf-8';
  try {
    return new TextDecoder(charset.toLowerCase(), { fatal: false }).decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}
