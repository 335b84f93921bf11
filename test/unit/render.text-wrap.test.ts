import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadLocale } from '../../src/config/index.js';
import { personalise, renderConfirmation, renderEdition } from '../../src/render/index.js';
import { TEXT_WIDTH, wrapLine, wrapText } from '../../src/render/text-wrap.js';
import { referenceArticle, worstCaseStories } from '../helpers/stories.js';

/** The plain-text part, wrapped at 78 characters (issue 13); only a line holding a URL may be longer. */
const chars = (s: string) => [...s].length;
const tooLong = (text: string) => text.split('\n').filter((l) => chars(l) > TEXT_WIDTH && !l.includes('://'));
const LONG_NAME = 'María-José Ødegaard-Çelik Nguyễn Thị Minh Khai Zoë 名前 de la Fuente-Álvarez y Castillo';

describe('wrapText', () => {
  it('wraps a long line at spaces, keeping its indent on every line', () => {
    const line = `   ${'Reuters · World · 12,345 votes · 678 comments · '.repeat(4)}end`;
    const out = wrapLine(line).split('\n');
    expect(out.length).toBeGreaterThan(1);
    for (const l of out) {
      expect(chars(l)).toBeLessThanOrEqual(78);
      expect(l).toMatch(/^ {3}\S/);
    }
    expect(out.join(' ').replace(/\s+/g, ' ').trim()).toBe(line.replace(/\s+/g, ' ').trim());
  });

  it('never breaks a URL or a marker, and never at a no-break space', () => {
    const url = `https://news.example.com/${'a-very-long-slug-'.repeat(8)}?utm_source=digest`;
    expect(wrapLine(`Read it here: ${url} today`).split('\n')).toEqual(['Read it here:', url, 'today']);
    expect(
      wrapLine(`${'word '.repeat(14)}%%unsubscribe_url%%`)
        .split('\n')
        .at(-1),
    ).toBe('%%unsubscribe_url%%');
    const french = `${'mot '.repeat(17)}abonnement\u00a0:`;
    expect(wrapLine(french).split('\n').at(-1)).toBe('abonnement\u00a0:');
  });

  it('cuts a word no line can hold (a run of CJK) into pieces of a line each', () => {
    const cjk = '中文'.repeat(60);
    const out = wrapLine(cjk).split('\n');
    expect(out.map(chars)).toEqual([78, 42]);
    expect(out.join('')).toBe(cjk);
  });

  it('keeps every line within 78 characters unless it holds a URL, and loses no character (property)', () => {
    const word = fc.oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).map((s) => s.replace(/\s/g, 'x')),
      fc.string({ unit: 'grapheme-ascii', minLength: 60, maxLength: 200 }).map((s) => s.replace(/\s/g, 'y')),
      fc.webUrl(),
    );
    const line = fc
      .tuple(fc.constantFrom('', '  ', '    '), fc.array(word, { maxLength: 40 }))
      .map(([indent, words]) => indent + words.join(' '));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 6 }), (lines) => {
        const text = lines.join('\n');
        const out = wrapText(text);
        expect(tooLong(out)).toEqual([]);
        expect(out.replace(/\s+/g, '')).toBe(text.replace(/\s+/g, ''));
        // Wrapping twice changes nothing.
        expect(wrapText(out)).toBe(out);
      }),
    );
  });
});

describe('the plain-text part of the emails', () => {
  it('wraps the digest at 78: meta lines, the greeting with a long non-ASCII name, the intro and the footer', async () => {
    for (const locale of [undefined, loadLocale('fr')]) {
      const r = await renderEdition({
        date: '2026-11-26',
        site: {
          name: 'The Morning Post of the Greater Springfield Metropolitan Area',
          postalAddress: '1234 Main Street, Suite 500, Springfield, Illinois 62701, United States of America',
        },
        publicUrl: 'https://digest.example.com',
        stories: [referenceArticle(), ...worstCaseStories(9, 'story')],
        blogs: worstCaseStories(5, 'blog'),
        locale,
      });
      const p = personalise(
        r,
        {
          name: LONG_NAME,
          unsubscribeUrl: `https://digest.example.com/u/${'t'.repeat(120)}`,
          preferencesUrl: 'https://digest.example.com/p/x',
        },
        locale,
      );
      expect(tooLong(p.text)).toEqual([]);
      expect(p.text).toMatch(/Reuters · Middle East · 42 votes · 7 comments|Reuters · Middle East · 42 votes · 7 commentaires/);
      // The greeting keeps the reader's name whole on its own line.
      expect(p.text).toContain(`${LONG_NAME.slice(0, 40)}`);
    }
  });

  it('wraps the confirmation email at 78 too', async () => {
    const m = await renderConfirmation({
      site: {
        name: 'The Morning Post of the Greater Springfield Metropolitan Area',
        postalAddress: '1234 Main Street, Suite 500, Springfield, Illinois 62701, United States',
      },
      publicUrl: 'https://digest.example.com',
      confirmUrl: `https://digest.example.com/confirm/${'c'.repeat(100)}`,
      name: LONG_NAME,
    });
    expect(tooLong(m.text)).toEqual([]);
  });
});
