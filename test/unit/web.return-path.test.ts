import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { safeReturnPath } from '../../src/web/return-path.js';

/**
 * The login's `next`: a path on this site or the fallback. The property is the one that matters: a
 * browser resolving whatever is accepted, against this site, stays on this site.
 */
const SITE = 'https://news.example.com';

describe('safeReturnPath (where a login sends the browser back to)', () => {
  it('keeps the pages a reader or operator asked for', () => {
    for (const p of [
      '/inbox',
      '/inbox/abc123',
      '/editions/2026-11-27',
      '/editions/2026-11-27/0600',
      '/admin/editions?date=2026-11-27',
      '/admin',
      '/',
    ])
      expect(safeReturnPath(p)).toBe(p);
  });

  it('refuses other sites in every spelling, and the login itself', () => {
    const bad = [
      '//evil.example',
      '///evil.example',
      '/\\evil.example',
      '\\\\evil.example',
      '/\t/evil.example',
      '/\n/evil.example',
      ' /inbox',
      'https://evil.example/inbox',
      'http:/evil.example',
      'javascript:alert(1)',
      'inbox',
      '',
      '/admin/login?next=/inbox',
      '/admin/logout',
      `/${'a'.repeat(3000)}`,
    ];
    for (const p of bad) expect(safeReturnPath(p), JSON.stringify(p)).toBe('/admin');
    expect(safeReturnPath(undefined)).toBe('/admin');
    expect(safeReturnPath(['/inbox'])).toBe('/admin');
    expect(safeReturnPath('//evil', '/elsewhere')).toBe('/elsewhere');
  });

  it('whatever string it is given, what it returns resolves to this site (property)', () => {
    const piece = fc.constantFrom(
      '/',
      '//',
      '\\',
      '\t',
      '\n',
      '\r',
      ' ',
      '@',
      ':',
      '.',
      '..',
      '%2f',
      '%5c',
      'evil.example',
      'https:',
      'http:',
      'javascript:',
      '?',
      '#',
      'inbox',
      '\u0000',
      '\u00a0',
      '\u3002',
    );
    const candidate = fc.oneof(
      fc.array(piece, { maxLength: 8 }).map((a) => a.join('')),
      fc.string(),
      fc.webUrl(),
      fc.webPath(),
    );
    fc.assert(
      fc.property(candidate, (next) => {
        const out = safeReturnPath(next, '/admin');
        expect(out === next || out === '/admin').toBe(true);
        const resolved = new URL(out, SITE);
        expect(resolved.origin).toBe(SITE);
        expect(out.startsWith('/')).toBe(true);
        expect(out.startsWith('//')).toBe(false);
        expect(out).not.toMatch(/[\\\s]/);
      }),
      { numRuns: 5000 },
    );
  });

  it('accepts every ordinary path (property)', () => {
    fc.assert(
      fc.property(
        fc.webPath().filter((p) => p.startsWith('/') && !p.startsWith('//') && !p.startsWith('/admin/log')),
        (p) => {
          expect(safeReturnPath(p, '/admin')).toBe(p);
        },
      ),
    );
  });
});
