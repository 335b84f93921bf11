import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FeedError, parseFeedDocument, parseStoriesDocument } from '../../src/stories/index.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/feeds/${name}`, import.meta.url), 'utf8');
const NOW = new Date('2019-05-15T12:00:00Z');

describe('feed parsing', () => {
  it('reads an RSS 2.0 feed with entities, CDATA, namespaces, non-ASCII and a missing date', () => {
    const r = parseFeedDocument(fixture('news.rss'), { source: 'news.rss', now: NOW });
    expect(r.format).toBe('rss');
    const [idlib, prices, marathon] = r.items.map((i) => i.story);
    expect(idlib).toMatchObject({
      url: 'https://news.example.com/world/turkey-and-russia-discuss-reducing-tension-idlib',
      title: 'Turkey and Russia discuss reducing tension in Idlib',
      byline: 'Reuters',
      section: 'World',
      comments: 12,
      image_url: 'https://news.example.com/img/idlib.jpg',
      kind: 'story',
    });
    // CDATA HTML became text, &mdash; decoded.
    expect(idlib!.summary).toBe(
      'Since April 28, 18 health facilities have been hit. Turkish Defence Minister Hulusi Akar and his Russian counterpart discussed developments — and measures to reduce tension.',
    );
    expect(idlib!.published_at).toEqual(new Date('2019-05-15T05:30:00Z'));
    expect(prices!.title).toBe('Prices & wages: what “stability” means for Amman’s families');
    expect(prices!.summary).toBe("Economists say the government's plan works — for now.");
    expect(prices!.byline).toBe('Rana Hussein');
    expect(prices!.image_url).toBe('https://news.example.com/img/market.jpg');
    expect(marathon!.title).toBe('Ødegaard, Çelik and Nguyễn: Amman marathon draws runners from 40 countries');
    expect(marathon!.published_at).toEqual(NOW);
    expect(r.items[2]!.datedBySource).toBe(false);
    expect(r.problems).toEqual([{ index: 3, url: undefined, field: 'url', message: 'url is missing' }]);
  });

  it('reads an Atom feed with xhtml and html titles, html summaries and updated-only entries', () => {
    const r = parseFeedDocument(fixture('blogs.atom'), { source: 'blogs.atom', kind: 'blog', now: NOW });
    expect(r.format).toBe('atom');
    expect(r.problems).toEqual([]);
    const [why, tom] = r.items.map((i) => i.story);
    expect(why).toMatchObject({ title: 'Why Idlib matters', summary: 'A ceasefire & its limits.', byline: 'Zeynep Ağaoğlu', kind: 'blog' });
    expect(why!.published_at).toEqual(new Date('2019-05-15T07:00:00Z'));
    // An html title's markup is text to show, not markup to keep: "<script>" survives as words.
    expect(tom!.title).toBe('Tom & Jerry’s guide to <script> tags');
    expect(tom!.published_at).toEqual(new Date('2019-05-15T08:00:00Z'));
  });

  it('tells a JSON array of stories from a JSON Feed', () => {
    const batch = parseStoriesDocument('[{"url":"https://a.example/1","title":"One"}]', { source: 'x.json' });
    expect(batch.format).toBe('json');
    expect(batch.items).toHaveLength(1);
    const feed = parseStoriesDocument(
      JSON.stringify({
        version: 'https://jsonfeed.org/version/1.1',
        title: 'F',
        items: [{ id: '1', url: 'https://a.example/2', title: 'Two', date_published: '2019-05-15T01:00:00Z' }],
      }),
      { source: 'feed.json' },
    );
    expect(feed.format).toBe('json');
    expect(feed.items[0]!.story).toMatchObject({ url: 'https://a.example/2', title: 'Two' });
  });

  it('refuses XML entity declarations (billion laughs) and non-feeds with a clear error', () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><rss version="2.0"><channel><title>&lol2;</title></channel></rss>`;
    expect(() => parseFeedDocument(bomb, { source: 'bomb.xml' })).toThrow(FeedError);
    expect(() => parseFeedDocument(bomb, { source: 'bomb.xml' })).toThrow(/bomb.xml: feed declares XML entities/);
    expect(() => parseFeedDocument('<html><body>hello</body></html>', { source: 'page.html' })).toThrow(
      /page.html: not an RSS, Atom, RDF or JSON feed/,
    );
    expect(() => parseStoriesDocument('[{"url": ', { source: 'broken.json' })).toThrow(/broken.json: is not valid JSON/);
  });
});
