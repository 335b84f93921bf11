/**
 * Where a login may send the browser back to: a path on this site, never another site. Accepted: an
 * absolute path ("/inbox", "/editions/2026-11-27?x=1"). Refused (the fallback is used instead):
 * anything with a scheme ("https://evil", "javascript:"), a protocol-relative "//evil", backslashes
 * (browsers read "/\evil" as "//evil"), and control characters or white space (browsers drop tabs and
 * newlines, so "/\t/evil" would become "//evil"). The login page itself is refused too, so a
 * login never returns to the login.
 */
const MAX_LENGTH = 2048;
const PROBE_ORIGIN = 'http://return-path.invalid';

export function safeReturnPath(next: unknown, fallback = '/admin'): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > MAX_LENGTH) return fallback;
  if (!next.startsWith('/') || next.startsWith('//')) return fallback;
  if (/[\\\u0000-\u001f\u007f-\u009f\s]/.test(next)) return fallback;
  let url: URL;
  try {
    url = new URL(next, PROBE_ORIGIN);
  } catch {
    return fallback;
  }
  // Belt and braces: whatever the string looked like, the URL a browser builds from it stays here.
  if (url.origin !== PROBE_ORIGIN) return fallback;
  if (url.pathname === '/admin/login' || url.pathname === '/admin/logout') return fallback;
  return next;
}
