import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderEdition } from '../../src/render/index.js';
import { describeProblem, parseStoryItem, STORY_LIMITS } from '../../src/stories/index.js';
import { fixtureStory } from '../helpers/stories.js';

/** Story fields from a CMS or a feed: refused with a problem naming the field, or stored as harmless text. */
describe('hostile story fields', () => {
  const ok = { url: 'https://news.example/a', title: 'A title' };
  const problemsOf = (raw: Record<string, unknown>) => {
    const r = parseStoryItem(raw, 0);
    return r.ok ? [] : r.problems;
  };

  it('refuses javascript:, data: and other non-http URLs in url and image_url, naming the field', () => {
    for (const url of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      ' javascript:alert(1)',
      'java\tscript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:x',
      'file:///etc/passwd',
      '//evil.example/x',
      '/relative',
      'http://',
      'https://',
    ]) {
      expect(problemsOf({ ...ok, url }), url).toEqual([
        expect.objectContaining({ field: 'url', message: 'url must be an absolute http(s) URL' }),
      ]);
      expect(problemsOf({ ...ok, image_url: url }), url).toEqual([expect.objectContaining({ field: 'image_url' })]);
    }
  });

  it('refuses a 1 MB summary with its size and the limit, and a 2 KB+ URL', () => {
    const mb = 'x'.repeat(1024 * 1024);
    expect(problemsOf({ ...ok, summary: mb })).toEqual([
      expect.objectContaining({ field: 'summary', message: `summary is ${mb.length} characters; the limit is ${STORY_LIMITS.summary}` }),
    ]);
    expect(problemsOf({ ...ok, title: mb })).toEqual([
      expect.objectContaining({ field: 'title', message: `title is longer than ${STORY_LIMITS.title} characters` }),
    ]);
    expect(problemsOf({ ...ok, url: `https://news.example/${'a'.repeat(3000)}` })).toEqual([expect.objectContaining({ field: 'url' })]);
  });

  it('refuses invalid dates, naming published_at and the value', () => {
    for (const published_at of [
      '2026-02-30',
      '2026-13-01',
      'yesterday',
      'NaN',
      '0000-00-00',
      '1969-12-31T23:59:59Z',
      '9999-01-01',
      1e20,
      -1,
      true,
      {},
      ['2026-01-01'],
    ]) {
      const problems = problemsOf({ ...ok, published_at });
      expect(problems, JSON.stringify(published_at)).toEqual([expect.objectContaining({ field: 'published_at' })]);
      expect(problems[0]!.message).toContain('is not a valid date');
    }
  });

  it('never throws on any JSON value in any field, and every problem names a field', () => {
    const fields = [
      'url',
      'title',
      'summary',
      'byline',
      'section',
      'image_url',
      'published_at',
      'updated_at',
      'votes',
      'comments',
      'kind',
      '__proto__',
      'constructor',
    ];
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...fields), fc.jsonValue({ maxDepth: 3 })), (raw) => {
        const r = parseStoryItem(raw, 7);
        if (!r.ok) for (const p of r.problems) expect(p.field).toMatch(/\w/);
        else expect(r.input.story.url).toMatch(/^https?:\/\//);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps titles as one line of text: controls and bidi overrides removed', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }), (title) => {
        const r = parseStoryItem({ ...ok, title }, 0);
        if (!r.ok) return;
        expect(r.input.story.title).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
      }),
      { numRuns: 1000 },
    );
  });

  it('describes a problem in one line even when the URL carries CR/LF (no forged lines in CLI output)', () => {
    const r = parseStoryItem({ url: 'https://x.example/\r\nitem 2 (https://ok.example): fine', title: '' }, 0);
    expect(r.ok).toBe(false);
    if (!r.ok) for (const p of r.problems) expect(describeProblem(p)).not.toMatch(/[\r\n]/);
  });

  it('renders HTML and script in titles, summaries and bylines as text, and javascript: never as a link', async () => {
    const hostile = fixtureStory({
      url: 'https://news.example/hostile',
      title: '<script>alert(1)</script> "><img src=x onerror=alert(1)>',
      summary: '<iframe src="javascript:alert(1)"></iframe> %%unsubscribe_url%% {{confirmUrl}}',
      byline: '<b onmouseover=alert(1)>Reuters</b>',
      image_url: 'javascript:alert(1)',
    });
    const rendered = await renderEdition({
      date: '2026-11-26',
      site: { name: 'The Daily', postalAddress: '' },
      publicUrl: 'https://digest.example.com',
      stories: [hostile],
      blogs: [],
    });
    expect(rendered.html).not.toMatch(/<script|<img[^>]*onerror|<iframe|<b onmouseover|(href|src)=["']?\s*javascript:/i);
    expect(rendered.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(rendered.html).not.toContain('%%unsubscribe_url%% {{');
    expect(rendered.html.match(/%%unsubscribe_url%%/g)?.length).toBe(
      (
        await renderEdition({
          date: '2026-11-26',
          site: { name: 'The Daily', postalAddress: '' },
          publicUrl: 'https://digest.example.com',
          stories: [fixtureStory()],
          blogs: [],
        })
      ).html.match(/%%unsubscribe_url%%/g)?.length,
    );
  });
});
