import { describe, expect, it } from 'vitest';
import { escapeHtml, greetingFor, personalise, renderEdition, type Reader } from '../../src/render/index.js';
import { fixtureStory, referenceArticle } from '../helpers/stories.js';

const rendered = await renderEdition({
  date: '2026-11-26',
  site: { name: 'The Morning Post', postalAddress: '1 Main Street' },
  publicUrl: 'https://digest.example.com',
  stories: [referenceArticle(), fixtureStory()],
  blogs: [fixtureStory({ kind: 'blog' })],
});

const ann: Reader = {
  name: 'Ann',
  unsubscribeUrl: 'https://digest.example.com/u/ann-token-123',
  preferencesUrl: 'https://digest.example.com/p/ann-token-123',
};
const bob: Reader = {
  name: null,
  unsubscribeUrl: 'https://digest.example.com/u/bob-token-456',
  preferencesUrl: 'https://digest.example.com/p/bob-token-456',
};

/** Puts the markers back where a reader's values went: what is left must be the shared render. */
function unpersonalise(s: string, r: Reader, html: boolean): string {
  const esc = html ? escapeHtml : (x: string) => x;
  return s
    .split(esc(r.unsubscribeUrl))
    .join('%%unsubscribe_url%%')
    .split(esc(r.preferencesUrl))
    .join('%%preferences_url%%')
    .split(esc(greetingFor(r.name)))
    .join('%%greeting%%');
}

describe('personalise', () => {
  it('changes only the personal parts: greeting, unsubscribe and preferences links', () => {
    for (const reader of [ann, bob]) {
      const p = personalise(rendered, reader);
      expect(p.html).not.toMatch(/%%[a-z_]+%%/);
      expect(p.text).not.toMatch(/%%[a-z_]+%%/);
      expect(unpersonalise(p.html, reader, true)).toBe(rendered.html);
      expect(unpersonalise(p.text, reader, false)).toBe(rendered.text);
    }
    const a = personalise(rendered, ann);
    expect(a.html).toContain('Hello Ann, here are today');
    expect(a.html).toContain('href="https://digest.example.com/u/ann-token-123"');
    expect(a.text).toContain('Unsubscribe: https://digest.example.com/u/ann-token-123');
    expect(personalise(rendered, bob).text).toContain('Hello,\nhere are today');
  });

  it('gives two readers copies that differ only where the markers were', () => {
    const a = personalise(rendered, ann).html;
    const b = personalise(rendered, bob).html;
    const shared = rendered.html.split(/%%[a-z_]+%%/);
    let ia = 0;
    let ib = 0;
    for (const slice of shared) {
      expect(a.indexOf(slice, ia)).toBeGreaterThanOrEqual(ia);
      expect(b.indexOf(slice, ib)).toBeGreaterThanOrEqual(ib);
      ia = a.indexOf(slice, ia) + slice.length;
      ib = b.indexOf(slice, ib) + slice.length;
    }
  });

  it('escapes a hostile reader name and keeps URLs attribute-safe', () => {
    const p = personalise(rendered, {
      name: '"><script>alert(1)</script> %%unsubscribe_url%%',
      unsubscribeUrl: 'https://digest.example.com/u/t?a=1&b="2"',
      preferencesUrl: 'https://digest.example.com/p/t',
    });
    expect(p.html).not.toContain('<script>');
    expect(p.html).toContain('Hello &quot;&gt;&lt;script&gt;');
    expect(p.html).toContain('href="https://digest.example.com/u/t?a=1&amp;b=%222%22"');
    expect(p.text).not.toMatch(/%%unsubscribe_url%%/);
  });

  it('refuses an unsubscribe link that is not http(s)', () => {
    expect(() => personalise(rendered, { ...ann, unsubscribeUrl: 'javascript:alert(1)' })).toThrow(/not an absolute http/);
  });

  it('costs microseconds, not an MJML render', () => {
    personalise(rendered, ann);
    const n = 2000;
    const t = performance.now();
    for (let i = 0; i < n; i++) personalise(rendered, { ...ann, name: `Reader ${i}` });
    const perReaderMs = (performance.now() - t) / n;
    expect(perReaderMs).toBeLessThan(1); // MJML takes ~20 ms
  });
});
