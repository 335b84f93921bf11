import { describe, expect, it } from 'vitest';
import { nonPublicKind } from '../../src/stories/address-policy.js';
import { htmlNestingDepth, htmlToText, HtmlTooDeepError } from '../../src/stories/clean-text.js';
import { FEED_LIMITS } from '../../src/stories/feed-limits.js';
import { FeedError, parseFeedDocument } from '../../src/stories/parse-feed.js';

const rss = (items: string) => `<rss version="2.0"><channel><title>F</title>${items}</channel></rss>`;
const item = (slug: string, description = 'teaser') =>
  `<item><title>T ${slug}</title><link>https://f.example/${slug}</link><description><![CDATA[${description}]]></description></item>`;

describe('html nesting depth', () => {
  it.each([
    ['', 0],
    ['plain text', 0],
    ['<p>a</p><p>b</p>', 0], // paragraphs close each other: never nested
    ['<p>a<p>b<p>c', 0],
    ['<div><div><b>x</b></div></div>', 3],
    ['<div><br><img src=x><hr/></div>', 1],
    ['<a><a><a>', 3],
    ['<ul><li>a<li>b</ul>', 1],
  ])('%j nests %i deep', (html, depth) => {
    expect(htmlNestingDepth(html)).toBe(depth);
  });

  it('stops counting past the limit, and a run of unclosed "<a" costs one pass, not one per "<"', () => {
    expect(htmlNestingDepth('<b>'.repeat(10_000), 512)).toBe(513);
    const started = performance.now();
    expect(htmlNestingDepth('<a'.repeat(FEED_LIMITS.teaserHtml / 2))).toBe(0);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('html to text, bounded', () => {
  it('refuses HTML nested deeper than a browser would build, and keeps what a real teaser nests', () => {
    expect(() => htmlToText('<a>'.repeat(200_000) + 'x')).toThrow(HtmlTooDeepError);
    expect(() => htmlToText('<a>'.repeat(200_000) + 'x')).toThrow('HTML nests more than 512 elements deep');
    expect(htmlToText(`${'<div>'.repeat(40)}deep but fine${'</div>'.repeat(40)}`)).toBe('deep but fine');
  });

  it('reads at most the first 50,000 characters of a teaser, and at most 256 children of one element', () => {
    expect(htmlToText(`<p>${'word '.repeat(100_000)}</p>`).length).toBeLessThanOrEqual(FEED_LIMITS.teaserHtml);
    const wide = htmlToText(`<div>${Array.from({ length: 1000 }, (_, i) => `<span>s${i} </span>`).join('')}</div>`);
    expect(wide).toContain('s255');
    expect(wide).not.toContain('s256');
    expect(wide.endsWith('…')).toBe(true);
  });
});

describe('feed limits', () => {
  it('reads the first 1,000 items of a longer feed and reports the cut once', () => {
    const doc = rss(Array.from({ length: 1005 }, (_, i) => item(String(i))).join(''));
    const r = parseFeedDocument(doc, { source: 'long.rss' });
    expect(r.items).toHaveLength(FEED_LIMITS.items);
    expect(r.problems).toEqual([
      { index: 1000, url: undefined, field: '(feed)', message: 'the feed has 1005 items; only the first 1000 were read' },
    ]);
  });

  it('refuses a feed with one item nested like an attack, naming the item', () => {
    const doc = rss(item('ok') + item('deep', '<span>'.repeat(600) + 'x'));
    expect(() => parseFeedDocument(doc, { source: 'deep.rss' })).toThrow(FeedError);
    expect(() => parseFeedDocument(doc, { source: 'deep.rss' })).toThrow(
      'deep.rss: item 2: HTML nests more than 512 elements deep; the feed is refused',
    );
  });

  it('cuts a whole article to a teaser', () => {
    const r = parseFeedDocument(rss(item('long', `<p>${'many words '.repeat(20_000)}</p>`)), { source: 'long.rss' });
    expect(r.items[0]!.story.summary!.length).toBeLessThanOrEqual(FEED_LIMITS.teaserText + 1);
  });
});

describe('which addresses a feed may come from', () => {
  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['127.255.0.9', 'a loopback address'],
    ['::1', 'a loopback or unspecified address'],
    ['::', 'a loopback or unspecified address'],
    ['::ffff:7f00:1', 'a loopback address'],
    ['::ffff:10.0.0.1', 'a private address'],
    ['0.0.0.0', 'a "this network" address'],
    ['10.20.30.40', 'a private address'],
    ['172.16.0.1', 'a private address'],
    ['172.31.255.255', 'a private address'],
    ['192.168.1.1', 'a private address'],
    ['100.64.0.1', 'a shared (CGNAT) address'],
    ['100.100.100.200', 'a shared (CGNAT) address'],
    ['169.254.169.254', 'a link-local address (cloud metadata lives at 169.254.169.254)'],
    ['fd00:ec2::254', 'a unique-local address'],
    ['fc00::1', 'a unique-local address'],
    ['fe80::1', 'a link-local address'],
    ['64:ff9b::7f00:1', 'a NAT64 address'],
    ['2002:7f00:1::', 'a 6to4 address'],
    ['224.0.0.1', 'a multicast address'],
    ['255.255.255.255', 'a reserved address'],
    ['localhost', 'not an IP address'],
  ])('%s is %s', (address, kind) => {
    expect(nonPublicKind(address)).toBe(kind);
  });

  it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    '%s is public',
    (address) => {
      expect(nonPublicKind(address)).toBeUndefined();
    },
  );
});
