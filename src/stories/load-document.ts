import { readFile, stat } from 'node:fs/promises';
import { MAX_FEED_BYTES, FeedError } from './parse-feed.js';

const FETCH_TIMEOUT_MS = 15_000;

/**
 * The text of a local file or an http(s) URL, refusing anything over the size limit before reading it
 * all into memory.
 */
export async function loadDocument(location: string, maxBytes = MAX_FEED_BYTES): Promise<string> {
  if (/^https?:\/\//i.test(location)) return fetchDocument(location, maxBytes);
  const info = await stat(location).catch((err: NodeJS.ErrnoException) => {
    throw new FeedError(location, err.code === 'ENOENT' ? 'no such file' : err.message);
  });
  if (info.size > maxBytes) throw new FeedError(location, `file is ${info.size} bytes; the limit is ${maxBytes}`);
  return decode(await readFile(location), undefined);
}

async function fetchDocument(url: string, maxBytes: number): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, {
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      headers: { accept: 'application/rss+xml, application/atom+xml, application/feed+json, application/json, text/xml;q=0.9, */*;q=0.5', 'user-agent': 'daily-digest feed poller' },
      redirect: 'follow',
    });
  } catch (err) {
    throw new FeedError(url, `could not fetch: ${(err as Error).message}`);
  }
  if (!response.ok) throw new FeedError(url, `answered HTTP ${response.status}`);
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > maxBytes) throw new FeedError(url, `is ${declared} bytes; the limit is ${maxBytes}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new FeedError(url, `is larger than the limit of ${maxBytes} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return decode(Buffer.concat(chunks), response.headers.get('content-type') ?? undefined);
}

/** Decodes by BOM, then the XML declaration or Content-Type charset, defaulting to UTF-8. */
function decode(bytes: Buffer, contentType: string | undefined): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3).toString('utf8');
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  const head = bytes.subarray(0, 200).toString('latin1');
  const charset =
    /<\?xml[^>]*encoding=["']([\w-]+)["']/i.exec(head)?.[1] ?? /charset=([\w-]+)/i.exec(contentType ?? '')?.[1] ?? 'utf-8';
  try {
    return new TextDecoder(charset.toLowerCase(), { fatal: false }).decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}
