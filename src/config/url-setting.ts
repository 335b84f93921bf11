/**
 * URL settings that may carry a password (DATABASE_URL, SMTP_URL): what is wrong with one, said
 * without ever echoing the password, and the URL as it may be shown (password replaced by ***).
 */

/**
 * The URL with any password replaced by ***. A string that does not parse (often because its password
 * holds an unescaped @ / # ?) is masked from the first ':' after the scheme to its last '@'.
 */
export function redactUrl(value: string): string {
  try {
    const u = new URL(value);
    if (u.password) u.password = '***';
    // An '@' that did not end up as the user-info delimiter (in the path, query or fragment) may
    // still have a password before it: mask by pattern instead.
    if ((u.pathname + u.search + u.hash).includes('@') || (!u.username && !u.password && value.includes('@')))
      throw new Error('credentials outside the authority');
    return u.toString();
  } catch {
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value)?.[0] ?? '';
    const rest = value.slice(scheme.length);
    const at = rest.lastIndexOf('@');
    if (at < 0) return value;
    const userInfo = rest.slice(0, at);
    const colon = userInfo.indexOf(':');
    return `${scheme}${colon >= 0 ? `${userInfo.slice(0, colon)}:***` : '***'}${rest.slice(at)}`;
  }
}

/** Why `value` is not a usable `name` URL with one of `protocols`, or undefined when it is. */
export function urlProblem(name: string, value: string, protocols: readonly string[]): string | undefined {
  const expected = protocols.map((p) => p.replace(':', '://')).join(' or ');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value.trim())?.[1]?.toLowerCase();
  if (!scheme) return `${name} is not a URL: it should start with ${expected}`;
  if (!protocols.includes(`${scheme}:`)) return `${name} starts with ${scheme}://, expected ${expected}`;
  let u: URL;
  try {
    u = new URL(value.trim());
  } catch {
    // The usual cause: a password with @ / : # or ? in it, which must be percent-encoded.
    return `${name} (${redactUrl(value)}) is not a valid URL: check the host and port, and percent-encode any @ : / # ? in the user name or password`;
  }
  const shown = redactUrl(u.toString());
  // postgres:///db?host=/run/postgresql names a unix-socket directory instead.
  if (!u.hostname && !u.searchParams.get('host')) return `${name} (${shown}) has no host name`;
  for (const [part, text] of [
    ['user name', u.username],
    ['password', u.password],
  ] as const) {
    try {
      decodeURIComponent(text);
    } catch {
      return `${name} (${shown}) has a ${part} with a stray % (write a literal % as %25)`;
    }
  }
  return undefined;
}
