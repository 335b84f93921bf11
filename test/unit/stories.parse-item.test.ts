import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDate, parseStoryBatch, parseStoryItem, STORY_LIMITS } from '../../src/stories/index.js';

const good = { url: 'https://news.example.com/a', title: 'A title', votes: 3, comments: 1, published_at: '2026-11-26T05:00:00Z' };

describe('story input', () => {
  it('accepts a full story and normalises it', () => {
    const r = parseStoryItem(
      {
        ...good,
        kind: 'blog',
        title: '  Two\n  lines\t here ',
        summary: 'Teaser',
        byline: 'Reuters',
        image_url: 'https://img.example.com/a.jpg',
      },
      0,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.input.story).toMatchObject({
      kind: 'blog',
      title: 'Two lines here',
      summary: 'Teaser',
      byline: 'Reuters',
      votes: 3,
      comments: 1,
    });
    expect(r.input.story.published_at).toEqual(new Date('2026-11-26T05:00:00Z'));
    expect(r.input.datedBySource).toBe(true);
  });

  it('takes the field names a CMS is likely to use', () => {
    const r = parseStoryItem(
      {
        link: 'https://x.example/1',
        title: 't',
        teaser: 'x',
        author: 'A',
        publishedAt: '2026-01-01',
        imageUrl: 'https://x.example/i.png',
        type: 'blog',
      },
      0,
    );
    expect(r.ok && r.input.story).toMatchObject({
      url: 'https://x.example/1',
      summary: 'x',
      byline: 'A',
      image_url: 'https://x.example/i.png',
      kind: 'blog',
    });
  });

  it.each([
    [{ ...good, url: 'javascript:alert(1)' }, 'url', 'url must be an absolute http(s) URL'],
    [{ ...good, url: '/relative' }, 'url', 'url must be an absolute http(s) URL'],
    [{ ...good, url: undefined }, 'url', 'url is missing'],
    [{ ...good, title: '   ' }, 'title', 'title is empty'],
    [{ ...good, title: 'x'.repeat(501) }, 'title', 'title is longer than 500 characters'],
    [{ ...good, votes: -1 }, 'votes', 'votes must be a whole number from 0 (got -1)'],
    [{ ...good, comments: 'many' }, 'comments', 'comments must be'],
    [{ ...good, published_at: '2019-02-30' }, 'published_at', 'published_at "2019-02-30" is not a valid date'],
    [{ ...good, kind: 'video' }, 'kind', 'kind must be "story" or "blog"'],
    [{ ...good, image_url: 'data:image/png;base64,AAAA' }, 'image_url', 'image_url must be an absolute http(s) URL'],
    [{ ...good, summary: 'x'.repeat(STORY_LIMITS.summary + 1) }, 'summary', `the limit is ${STORY_LIMITS.summary}`],
  ])('rejects %j naming the field', (item, field, message) => {
    const r = parseStoryItem(item, 4);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems[0]).toMatchObject({ index: 4, field });
    expect(r.problems[0]!.message).toContain(message);
  });

  it('keeps the good items of a batch beside the bad ones', () => {
    const batch = parseStoryBatch([
      good,
      { url: 'ftp://x', title: 'bad' },
      { ...good, url: 'https://news.example.com/b' },
      'not an object',
    ]);
    expect(batch.items.map((i) => i.story.url)).toEqual(['https://news.example.com/a', 'https://news.example.com/b']);
    expect(batch.problems.map((p) => p.index)).toEqual([1, 3]);
  });

  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything(), (anything) => {
        const r = parseStoryItem(anything, 0);
        expect(typeof r.ok).toBe('boolean');
      }),
    );
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom('url', 'title', 'votes', 'published_at', 'summary', 'kind'),
          fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
        ),
        (d) => {
          const r = parseStoryItem(d, 0);
          if (r.ok) {
            expect(r.input.story.url).toMatch(/^https?:\/\//);
            expect(r.input.story.title.length).toBeGreaterThan(0);
          } else expect(r.problems.length).toBeGreaterThan(0);
        },
      ),
    );
  });

  it('parses dates in ISO 8601 and RFC 2822 and refuses impossible ones', () => {
    expect(parseDate('Wed, 15 May 2019 08:30:00 +0300')?.toISOString()).toBe('2019-05-15T05:30:00.000Z');
    expect(parseDate('2019-05-15T09:00:00+02:00')?.toISOString()).toBe('2019-05-15T07:00:00.000Z');
    for (const bad of ['2019-02-29', '2019-13-01', 'yesterday', '', '0000-01-01', '1e400']) expect(parseDate(bad)).toBeUndefined();
    fc.assert(
      fc.property(fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2199-12-31T00:00:00Z'), noInvalidDate: true }), (d) => {
        expect(parseDate(d.toISOString())?.getTime()).toBe(d.getTime());
        expect(parseDate(d.toUTCString())?.getTime()).toBe(Math.floor(d.getTime() / 1000) * 1000);
      }),
    );
  });
});

describe('story text hygiene', () => {
  it('drops control and bidi-override characters from teasers, keeping paragraphs', () => {
    const r = parseStoryItem(
      { url: 'https://n.example/x', title: 'T', summary: 'First\u202E reversed?\u0007\n\n\n\nSecond  paragraph' },
      0,
    );
    expect(r.ok && r.input.story.summary).toBe('First reversed?\n\nSecond paragraph');
  });
});
