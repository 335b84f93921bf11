import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeHtml, escapeText, preflightEdition, renderEdition, truncate } from '../../src/render/index.js';
import { TEASER_MAX, TITLE_MAX } from '../../src/render/edition.view.js';
import { fixtureStory } from '../helpers/stories.js';

/**
 * Story text is data, never template: whatever a title, summary or byline says (template syntax,
 * personal markers, markup, addresses, any script), the edition renders, passes preflight, and
 * shows the text as text. Only the size budget may stop an edition, and these stories stay far
 * below it.
 */
const FRAGMENTS = [
  '{{ message }}',
  '{{message}}',
  '{{{raw}}}',
  '{{> x}}',
  '{{> footer}}',
  '{{#each items}}',
  '{{/each}}',
  '{{^web}}',
  '{{! note }}',
  '{{',
  '}}',
  '{',
  '}',
  '%%unsubscribe_url%%',
  '%%greeting%%',
  '%%preferences_url%%',
  '%%click_reader%%',
  '%%',
  '%',
  '100%',
  '<script>alert(1)</script>',
  '<SCRIPT src=x>',
  '</mj-text>',
  '<mj-raw>',
  '"><img src=x onerror=alert(1)>',
  "'",
  '"',
  '&amp;',
  '&',
  '&#37;',
  '<',
  'https://github.com/vuejs/core',
  'git+ssh://git@host/repo',
  'javascript:alert(1)',
  '(see https://example.org/a?b=1&c=2).',
  'مرحبا بالعالم',
  'שלום',
  '\u202e',
  '\u2066',
  '😀',
  '👩‍👩‍👧',
  '🇫🇷',
  'é',
  'e\u0301',
  '中文',
  '\u00a0',
  '\u202f',
  '\u0000',
  '\u0007',
  '\u001b[31m',
  '\u007f',
  '\r\n',
  '\n',
  '\t',
  ' ',
  '  ',
  'word',
  'Vue',
];
const storyText = fc
  .array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ unit: 'grapheme', maxLength: 8 })), { maxLength: 24 })
  .map((parts) => parts.join(''));

/**
 * The plain-text part's reading of a value: no control characters, and no white space at all, since
 * the part is wrapped at 78 characters and a word longer than a line (a run of CJK, say) is cut.
 */
const asText = (s: string) =>
  escapeText(s)
    .replace(/\u200b/g, '')
    .replace(/\s+/g, '');
const textOf = (s: string) => s.replace(/\u200b/g, '').replace(/\s+/g, '');

const publicUrl = 'https://digest.example.com';
const site = { name: 'The Morning Post', postalAddress: '1 Main Street' };
const markers = (s: string) => s.match(/%%[a-z_]+%%/g)?.sort() ?? [];
const baseline = await renderEdition({
  date: '2026-11-26',
  site,
  publicUrl,
  stories: [fixtureStory()],
  blogs: [fixtureStory({ kind: 'blog' })],
});

describe('story text is data', () => {
  it('renders any title, summary and byline, passes preflight and shows the text escaped', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ title: storyText, summary: storyText, byline: storyText }), { minLength: 1, maxLength: 3 }),
        async (texts) => {
          // Every other story has a picture: its alt text is the title, inside an attribute.
          const stories = texts.map((t, i) =>
            fixtureStory({
              ...t,
              kind: i === 0 ? 'story' : 'blog',
              url: `https://news.example.com/s-${i}`,
              image_url: i % 2 === 0 ? `https://img.example.com/${i}.jpg` : null,
            }),
          );
          const r = await renderEdition({ date: '2026-11-26', site, publicUrl, stories: stories.slice(0, 1), blogs: stories.slice(1) });

          const report = await preflightEdition(r, { publicUrl, from: 'digest@example.com' });
          expect(report.problems).toEqual([]);
          expect(report.ok).toBe(true);

          // No markup and no personal marker comes from the stories.
          expect(r.html).not.toMatch(/<script/i);
          // (Outside attribute values: a title quoted in an alt attribute may say "onerror", escaped.)
          expect(r.html.replace(/"[^"]*"/g, '""')).not.toMatch(/<img[^>]*onerror/i);
          expect(markers(r.html)).toEqual(markers(baseline.html));
          expect(markers(r.text)).toEqual(markers(baseline.text));

          for (const s of stories) {
            const title = truncate(s.title, TITLE_MAX) || s.url;
            const teaser = truncate(s.summary ?? '', TEASER_MAX);
            expect(r.html).toContain(escapeHtml(title));
            if (s.image_url) expect(r.html).toContain(`alt="${escapeHtml(title)}" src="${s.image_url}"`);
            if (teaser) expect(r.html).toContain(escapeHtml(teaser));
            // The text part shows it as written (wrapped, long words cut, control characters dropped).
            expect(textOf(r.text)).toContain(asText(title));
            if (asText(teaser)) expect(textOf(r.text)).toContain(asText(teaser));
            const byline = truncate(s.byline!.trim(), 60);
            if (asText(byline)) expect(textOf(r.text)).toContain(asText(byline));
          }
          const headline = asText(truncate(truncate(stories[0]!.title, TITLE_MAX) || stories[0]!.url, 90));
          expect(textOf(r.subject)).toContain(headline);
          expect(r.subject).not.toMatch(/[\r\n]/);
        },
      ),
      { numRuns: 40 },
    );
  });
});
