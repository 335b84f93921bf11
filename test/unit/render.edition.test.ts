import mjml2html from 'mjml';
import { describe, expect, it } from 'vitest';
import { HTML_BUDGET_BYTES, renderEdition, sectionKey, type EditionInput } from '../../src/render/index.js';
import { loadTemplates } from '../../src/render/template-files.js';
import { fixtureStory, referenceArticle, worstCaseStories } from '../helpers/stories.js';

const site = { name: 'The Morning Post', postalAddress: '1 Main Street, Springfield' };
const base = (over: Partial<EditionInput> = {}): EditionInput => ({
  date: '2026-11-26',
  site,
  publicUrl: 'https://digest.example.com',
  stories: [referenceArticle(), fixtureStory()],
  blogs: [fixtureStory({ kind: 'blog', title: 'A blog post', url: 'https://blog.example.org/post' })],
  ...over,
});

describe('renderEdition', () => {
  it('renders the masthead, both sections, story details and the footer', async () => {
    const r = await renderEdition(base());
    expect(r.html).toContain('The Morning Post');
    expect(r.html).toContain('Thursday, 26 November 2026');
    expect(r.html).toContain('Top stories');
    expect(r.html).toContain('From the blogs');
    expect(r.html).toContain('href="https://www.jordantimes.com/news/region/turkey-and-russia-discuss-reducing-tension-idlib"');
    expect(r.html).toContain('Reuters · Middle East · 42 votes · 7 comments');
    expect(r.html).toContain('href="%%unsubscribe_url%%"');
    expect(r.html).toContain('href="%%preferences_url%%"');
    expect(r.html).toContain('href="https://digest.example.com/editions/2026-11-26"');
    expect(r.html).toContain('1 Main Street, Springfield');
    expect(r.html).toContain('<meta name="color-scheme" content="light dark">');
    expect(r.storyIds).toHaveLength(3);
  });

  it("keeps the reference article's typographic quotes and dashes intact in both parts", async () => {
    const r = await renderEdition(base());
    expect(r.html).toContain('Turkey and Russia discuss reducing tension in Idlib');
    expect(r.html).toMatch(/ISTANBUL — Turkish Defence Minister/);
    expect(r.text).toMatch(/ISTANBUL — Turkish Defence Minister/);
    expect(r.html).not.toMatch(/&amp;#|â€|Ã/); // no double escaping, no mojibake
  });

  it('shows hostile titles, bylines and site names as text, never as markup', async () => {
    const r = await renderEdition(
      base({
        site: { name: '<b>Site</b>', postalAddress: '"><script>x()</script>' },
        stories: [
          fixtureStory({ title: '<script>alert(1)</script>', summary: '"><img src=x onerror=alert(1)>', byline: '<i>by</i>' }),
          fixtureStory({ title: 'javascript link', url: 'javascript:alert(1)', image_url: 'data:image/png;base64,AAAA' }),
        ],
      }),
    );
    expect(r.html).not.toContain('<script>');
    expect(r.html).not.toContain('<img src=x');
    expect(r.html).not.toContain('<i>by</i>');
    expect(r.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(r.html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(r.html).not.toMatch(/javascript:|data:image/);
    expect(r.html).toContain('javascript link'); // the story stays, without a link
  });

  it('never lets story text forge a personal placeholder', async () => {
    const r = await renderEdition(base({ stories: [fixtureStory({ title: 'steal %%unsubscribe_url%%', summary: '%%greeting%%' })] }));
    expect(r.html.match(/%%unsubscribe_url%%/g)).toHaveLength(1);
    expect(r.text.match(/%%unsubscribe_url%%/g)).toHaveLength(1);
    expect(r.html.match(/%%greeting%%/g)).toHaveLength(1);
  });

  it('shows a 200-character title whole and cuts longer ones at a word', async () => {
    const t200 = 'word '.repeat(40).trim().padEnd(200, 'x');
    const r = await renderEdition(base({ stories: [fixtureStory({ title: t200 }), fixtureStory({ title: 'long '.repeat(100) })] }));
    expect(t200).toHaveLength(200);
    expect(r.html).toContain(t200);
    expect(r.html).toMatch(/(long ){30,}long…/);
  });

  it('leaves out a section with no stories, and one the reader did not choose', async () => {
    const noBlogs = await renderEdition(base({ blogs: [] }));
    expect(noBlogs.html).toContain('Top stories');
    expect(noBlogs.html).not.toContain('From the blogs');
    expect(noBlogs.text).not.toContain('FROM THE BLOGS');
    const blogsOnly = await renderEdition(base({ sections: ['blogs'] }));
    expect(blogsOnly.html).not.toContain('Top stories');
    expect(blogsOnly.html).toContain('From the blogs');
    expect(blogsOnly.sections).toEqual(['blogs']);
    const nothing = await renderEdition(base({ stories: [], blogs: [] }));
    expect(nothing.html).toContain('Nothing new today.');
    expect(nothing.text).toContain('Nothing new today.');
    expect(nothing.subject).toBe('The Morning Post · Thu 26 Nov');
  });

  it('keys renders by section choice, in a fixed order', () => {
    expect(sectionKey(['blogs', 'stories'])).toBe('stories+blogs');
    expect(sectionKey([])).toBe('stories+blogs');
    expect(sectionKey(null)).toBe('stories+blogs');
    expect(sectionKey(['blogs'])).toBe('blogs');
  });

  it('builds the subject from the template and the preheader from the top headlines', async () => {
    const r = await renderEdition(base());
    expect(r.subject).toBe('Turkey and Russia discuss reducing tension in Idlib · Thu 26 Nov');
    expect(r.preheader.startsWith('Turkey and Russia discuss reducing tension in Idlib · Story number')).toBe(true);
    expect(r.html).toContain('Turkey and Russia discuss reducing tension in Idlib · Story number');
    const custom = await renderEdition(base({ subjectTemplate: '{{site}} {{isoDate}}: {{count}} stories\r\nBcc: x@evil' }));
    expect(custom.subject).toBe('The Morning Post 2026-11-26: 3 stories Bcc: x@evil');
  });

  it('writes a plain-text part that reads on its own', async () => {
    const r = await renderEdition(base());
    expect(r.text).toContain('The Morning Post\nThursday, 26 November 2026');
    // The greeting has a line of its own: its length is the reader's, and the intro is wrapped once for all.
    expect(r.text).toContain("%%greeting%%\nhere are today's picks from The Morning Post.");
    expect(r.text).toContain('TOP STORIES\n===========');
    expect(r.text).toContain('FROM THE BLOGS');
    expect(r.text).toMatch(/1\. Turkey and Russia discuss reducing tension in Idlib\n {3}\S/);
    expect(r.text).toContain('   https://www.jordantimes.com/news/region/turkey-and-russia-discuss-reducing-tension-idlib');
    expect(r.text).toContain('Unsubscribe: %%unsubscribe_url%%');
    expect(r.text).toContain('View in browser: https://digest.example.com/editions/2026-11-26');
    expect(r.text).not.toMatch(/<[a-z]|&amp;|&quot;/);
    for (const line of r.text.split('\n')) if (!/https?:\/\//.test(line)) expect(line.length).toBeLessThanOrEqual(100);
  });

  it('keeps a worst-case 15-story edition under the 102 KB HTML budget', async () => {
    const r = await renderEdition(base({ stories: worstCaseStories(10, 'story'), blogs: worstCaseStories(5, 'blog') }));
    expect(r.storyIds).toHaveLength(15);
    const bytes = Buffer.byteLength(r.html);
    expect(bytes).toBeLessThan(HTML_BUDGET_BYTES);
    // Report the margin so a template change that eats it shows up in the test log.
    console.info(`worst-case 15-story edition: ${(bytes / 1000).toFixed(1)} KB of ${HTML_BUDGET_BYTES / 1000} KB`);
  });

  it('fills templates that MJML validates with no errors at all', async () => {
    const templates = loadTemplates('digest');
    for (const view of [
      { sections: [], siteName: 'x', web: false, unsubscribable: true },
      {
        sections: [
          {
            heading: 'Top stories',
            stories: [{ title: 't', url: 'https://a.example', imageUrl: 'https://i.example/a.jpg', teaser: 'x', meta: 'm' }],
          },
        ],
        siteName: 'x',
        logoUrl: 'https://l.example/l.png',
      },
    ]) {
      const result = await mjml2html(templates.mjml(view), { validationLevel: 'soft' });
      expect(result.errors).toEqual([]);
    }
  });

  it('renders the public web page with no personal markers or unsubscribe links', async () => {
    const r = await renderEdition(base({ mode: 'web' }));
    expect(r.html).not.toMatch(/%%[a-z_]+%%/);
    expect(r.text).not.toMatch(/%%[a-z_]+%%/);
    expect(r.html).not.toContain('Unsubscribe');
    expect(r.html).toContain('Get it by email every morning: https://digest.example.com/');
  });
});
