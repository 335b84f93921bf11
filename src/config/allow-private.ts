// FEED_ALLOW_PRIVATE is parsed here, with the other settings; what an entry allows is decided where
// feeds are fetched (src/stories/address-policy.ts), which reads these entries.

/** One FEED_ALLOW_PRIVATE entry: a host as written in URLs, optionally with a port. */
export interface HostEntry {
  readonly hostname: string;
  readonly port: string | undefined;
}

/**
 * Parses FEED_ALLOW_PRIVATE: `true` (any host), `false` or empty (none), or comma-separated
 * `host` / `host:port` / `[v6]:port` entries. Hosts are normalised as URLs normalise them, so
 * `0x7f000001` and `127.0.0.1` are one entry. Returns the entries, or the entries that are not hosts.
 */
export function parseAllowPrivate(value: string): { ok: true; entries: readonly HostEntry[] | 'any' } | { ok: false; bad: string[] } {
  const v = value.trim().toLowerCase();
  if (v === 'true') return { ok: true, entries: 'any' };
  if (v === '' || v === 'false') return { ok: true, entries: [] };
  const entries: HostEntry[] = [];
  const bad: string[] = [];
  for (const raw of v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(\[[0-9a-f:.]+\]|[^\s:/[\]@?#]+)(?::(\d{1,5}))?$/.exec(raw);
    let hostname: string | undefined;
    try {
      hostname = m ? new URL(`http://${m[1]}/`).hostname : undefined;
    } catch {
      hostname = undefined;
    }
    if (!m || !hostname || (m[2] !== undefined && Number(m[2]) > 65535)) bad.push(raw);
    else entries.push({ hostname, port: m[2] });
  }
  return bad.length > 0 ? { ok: false, bad } : { ok: true, entries };
}
