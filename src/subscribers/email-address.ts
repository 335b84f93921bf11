import { domainToASCII } from 'node:url';
import validator from 'validator';
import { defaultLocale, type Locale } from '../config/index.js';

/**
 * Address validation for sign-ups and imports (design.md): syntax by validator.isEmail with ASCII local
 * parts only, internationalised domains turned into their ASCII (punycode) form, the domain
 * lowercased and the local part kept as typed (it is case-sensitive in principle; the citext column
 * still makes uniqueness case-insensitive). Anything that could break a mail header is refused.
 */
export type AddressProblem = 'empty' | 'too_long' | 'header_characters' | 'quoted' | 'encoded' | 'invalid';

export type ParsedAddress = { ok: true; email: string } | { ok: false; problem: AddressProblem };

/** RFC 5321: 64 octets of local part, 255 of domain, 254 for a whole path. */
const MAX_LOCAL = 64;
const MAX_TOTAL = 254;

export function parseEmailAddress(input: unknown): ParsedAddress {
  if (typeof input !== 'string') return { ok: false, problem: 'empty' };
  // CR, LF, NUL and other controls would let a value escape its header line; refuse, never strip.
  if (/[\u0000-\u001f\u007f]/.test(input)) return { ok: false, problem: 'header_characters' };
  const trimmed = input.trim();
  if (trimmed === '') return { ok: false, problem: 'empty' };
  if (trimmed.length > 320) return { ok: false, problem: 'too_long' };
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1) return { ok: false, problem: 'invalid' };
  const local = trimmed.slice(0, at);
  // Quoted local parts ("john doe"@x) are legal but refused: relays (smtp-server among them) answer
  // 501 to the spaced ones, and nodemailer unquotes "jd"@x to jd@x, so one mailbox could hold two
  // subscriptions and get every digest twice.
  if (local.includes('"')) return { ok: false, problem: 'quoted' };
  // domainToASCII parses a URL host, and a URL host is percent-decoded: a@localhost%2ecom would be
  // stored as a@localhost.com, an address the reader never typed. No domain name holds a '%'.
  if (trimmed.slice(at + 1).includes('%')) return { ok: false, problem: 'encoded' };
  const domain = domainToASCII(trimmed.slice(at + 1).toLowerCase());
  if (domain === '') return { ok: false, problem: 'invalid' };
  const email = `${local}@${domain}`;
  if (local.length > MAX_LOCAL || email.length > MAX_TOTAL) return { ok: false, problem: 'too_long' };
  if (!validator.isEmail(email, { allow_utf8_local_part: false, allow_display_name: false, allow_ip_domain: false, require_tld: true })) {
    return { ok: false, problem: 'invalid' };
  }
  return { ok: true, email };
}

/** What to tell the reader (locale keys address.<problem>); the admin pages use the English default. */
export function describeAddressProblem(problem: AddressProblem, locale: Locale = defaultLocale()): string {
  return locale.t(`address.${problem}`);
}
