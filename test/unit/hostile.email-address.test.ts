import fc from 'fast-check';
import addressparser from 'nodemailer/lib/addressparser/index.js';
import { domainToASCII } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeAddressProblem, parseEmailAddress } from '../../src/subscribers/index.js';

/**
 * Hostile addresses against parseEmailAddress: whatever the input, it answers (never throws), a
 * refusal names the problem, and an accepted address is one printable-ASCII address (no quotes) that a mail
 * header or an SMTP envelope reads as exactly one recipient: itself.
 */
const RUNS = { numRuns: 2000 };

/** Strings with a good chance of looking like addresses, from hostile alphabets. */
const hostileChar = fc.constantFrom(
  'a',
  'Z',
  '0',
  '.',
  '-',
  '_',
  '+',
  '@',
  '"',
  '\\',
  ',',
  ';',
  ':',
  '<',
  '>',
  '(',
  ')',
  '[',
  ']',
  ' ',
  '\r',
  '\n',
  '\t',
  '\u0000',
  '\u0085',
  '\u2028',
  '\u2029',
  '\u00a0',
  '\u200b',
  '\u202e',
  '\u2066',
  'ü',
  'ß',
  'ı',
  'а',
  'р',
  'о',
  'ｅ',
  '＠',
  '。',
  '😀',
  '%',
  '=',
  '?',
  '/',
);
const hostileString = fc.array(hostileChar, { maxLength: 60 }).map((cs) => cs.join(''));
const addressLike = fc
  .tuple(
    hostileString,
    fc.constantFrom('', 'user', '"quoted local"', '"jd"', 'a.b+c'),
    fc.constantFrom('example.com', 'bücher.example', 'раураl.com', 'ｅｘａｍｐｌｅ.com', 'x'),
    hostileString,
  )
  .map(([pre, local, domain, post]) => `${pre}${local}@${domain}${post}`);

describe('hostile email addresses', () => {
  it('never throws, and every refusal names a problem with a message', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 400 }), hostileString, addressLike), (input) => {
        const r = parseEmailAddress(input);
        if (!r.ok) expect(describeAddressProblem(r.problem)).toMatch(/\w/);
      }),
      RUNS,
    );
  });

  it('accepts only printable ASCII that nodemailer reads back as exactly that one recipient', () => {
    fc.assert(
      fc.property(fc.oneof(hostileString, addressLike, fc.emailAddress()), (input) => {
        const r = parseEmailAddress(input);
        if (!r.ok) return;
        expect(r.email).toMatch(/^[\x21\x23-\x7e]+$/);
        expect(r.email.length).toBeLessThanOrEqual(254);
        const parsed = addressparser(r.email, { flatten: true });
        expect(parsed).toEqual([{ address: r.email, name: '' }]);
      }),
      RUNS,
    );
  });

  it('refuses CR, LF and every other control character anywhere, whatever surrounds them (header injection)', () => {
    fc.assert(
      fc.property(
        fc.emailAddress(),
        fc.nat(),
        fc.constantFrom('\r', '\n', '\r\n', '\u0000', '\u001b', '\u007f', '\t'),
        (email, at, control) => {
          const i = at % (email.length + 1);
          const r = parseEmailAddress(email.slice(0, i) + control + email.slice(i));
          expect(r).toEqual({ ok: false, problem: 'header_characters' });
        },
      ),
      RUNS,
    );
    for (const attack of [
      'x@example.com\r\nBcc: victim@example.com',
      'x@example.com\nSubject: free money',
      'x@example.com%0d%0aBcc:victim@example.com',
      'x@example.com\u2028Bcc: victim@example.com',
      'x@example.com\u0085Bcc: victim@example.com',
      'x@example.com, victim@example.com',
      'Victim <victim@example.com>',
      'x@example.com>,<victim@example.com',
    ]) {
      expect(parseEmailAddress(attack).ok, JSON.stringify(attack)).toBe(false);
    }
  });

  it('refuses addresses over the RFC 5321 limits, from 65-char local parts to 320+ and megabyte inputs', () => {
    expect(parseEmailAddress(`${'a'.repeat(65)}@example.com`)).toEqual({ ok: false, problem: 'too_long' });
    expect(parseEmailAddress(`${'a'.repeat(64)}@example.com`).ok).toBe(true);
    const longDomain = `${'d'.repeat(60)}.`.repeat(4) + 'd'.repeat(10) + '.com'; // 258 characters
    expect(parseEmailAddress(`user@${longDomain}`)).toEqual({ ok: false, problem: 'too_long' });
    expect(parseEmailAddress(`${'a'.repeat(321)}@example.com`)).toEqual({ ok: false, problem: 'too_long' });
    expect(parseEmailAddress(`${'a'.repeat(1024 * 1024)}@example.com`)).toEqual({ ok: false, problem: 'too_long' });
    fc.assert(
      fc.property(fc.integer({ min: 255, max: 2000 }), (n) => {
        expect(parseEmailAddress(`${'x'.repeat(n - 12)}@example.com`)).toEqual({ ok: false, problem: 'too_long' });
      }),
      { numRuns: 200 },
    );
  });

  it('normalises IDN domains to their ASCII form with url.domainToASCII, so one domain is one subscriber', () => {
    expect(parseEmailAddress('Reader@BÜCHER.example')).toEqual({ ok: true, email: 'Reader@xn--bcher-kva.example' });
    expect(parseEmailAddress('reader@bücher.example')).toEqual(parseEmailAddress('reader@xn--bcher-kva.example'));
    // Full-width letters and a zero-width space map (UTS #46) to the plain domain, not a look-alike.
    expect(parseEmailAddress('user@ｅｘａｍｐｌｅ.com')).toEqual({ ok: true, email: 'user@example.com' });
    expect(parseEmailAddress('user@exa\u200bmple.com')).toEqual({ ok: true, email: 'user@example.com' });
    expect(parseEmailAddress('user@faß.de')).toEqual({ ok: true, email: `user@${domainToASCII('faß.de')}` });
    for (const bad of [
      'user@xn--.com',
      'user@a..com',
      'user@-example.com',
      'user@exam ple.com',
      'user@[127.0.0.1]',
      'user@localhost',
      'user@ex_ample.com',
    ]) {
      expect(parseEmailAddress(bad).ok, bad).toBe(false);
    }
  });

  it('keeps Unicode confusables apart from the address they imitate', () => {
    // Cyrillic а, р, о in the domain: a different (punycode) domain, never paypal.com.
    const spoof = parseEmailAddress('billing@раураl.com');
    expect(spoof.ok && spoof.email).toMatch(/^billing@xn--[a-z0-9-]+\.com$/);
    expect(spoof.ok && spoof.email).not.toBe('billing@paypal.com');
    // In the local part they are refused: ASCII local parts only.
    expect(parseEmailAddress('раураl@example.com')).toEqual({ ok: false, problem: 'invalid' });
    // A full-width at sign is not an at sign; bidi overrides are not part of any address.
    expect(parseEmailAddress('user＠example.com').ok).toBe(false);
    expect(parseEmailAddress('\u202euser@example.com').ok).toBe(false);
    expect(parseEmailAddress('user@example.com\u202e').ok).toBe(false);
    expect(parseEmailAddress('user@exa\u2066mple.com').ok).toBe(false);
  });

  it('refuses quoted local parts, which relays refuse or unquote into a second subscription of one mailbox', () => {
    // smtp-server answers 501 to RCPT TO:<"john doe"@x>; nodemailer sends "jd"@x as jd@x.
    for (const quoted of [
      '"john doe"@example.com',
      '"a,b"@example.com',
      '"victim@evil.example, x"@example.com',
      '"<b>"@example.com',
      '"jd"@example.com',
      'j"d@example.com',
    ]) {
      expect(parseEmailAddress(quoted), quoted).toEqual({ ok: false, problem: 'quoted' });
    }
    expect(describeAddressProblem('quoted')).toMatch(/quotation marks/);
    expect(parseEmailAddress('"a\r\nb"@example.com')).toEqual({ ok: false, problem: 'header_characters' });
  });
});
