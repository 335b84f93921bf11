import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { personalise, renderEdition } from '../../src/render/index.js';
import { DESKTOP, launchBrowser, overflowsHorizontally, PHONE, screenshot } from '../helpers/browser.js';
import { fixtureStory, referenceArticle, worstCaseStories } from '../helpers/stories.js';

/**
 * The digest in a real browser (Debian's Chromium) at phone and desktop widths: nothing may
 * overflow sideways and every story link must be visible. Screenshots land in test/artifacts/.
 */
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

const editions = {
  typical: {
    stories: [
      referenceArticle(),
      fixtureStory({ image_url: 'https://img.example.com/wide.jpg' }),
      fixtureStory({ title: '<script>alert(1)</script> "><img src=x onerror=alert(1)>' }),
    ],
    blogs: [fixtureStory({ kind: 'blog', title: 'A blog post with an unbreakable URL-like title https://example.com/' + 'x'.repeat(120) })],
  },
  'worst-case': { stories: worstCaseStories(10, 'story'), blogs: worstCaseStories(5, 'blog') },
};

describe('the digest email in Chromium', () => {
  for (const [name, content] of Object.entries(editions)) {
    for (const viewport of [PHONE, DESKTOP]) {
      it(`${name} edition at ${viewport.width} px: no horizontal overflow, every story link visible`, async () => {
        const rendered = await renderEdition({
          date: '2026-11-26',
          site: { name: 'The Morning Post', postalAddress: '1 Main Street, Springfield' },
          publicUrl: 'https://digest.example.com',
          ...content,
        });
        const { html } = personalise(rendered, {
          name: 'Ann',
          unsubscribeUrl: 'https://digest.example.com/u/token',
          preferencesUrl: 'https://digest.example.com/p/token',
        });
        const page = await browser.newPage({ viewport });
        try {
          // Images point at hosts that do not exist: block them, as many mail clients do by default.
          await page.route('**/*', (route) => route.abort());
          await page.setContent(html, { waitUntil: 'domcontentloaded' });
          await screenshot(page, `email-${name}-${viewport.width}`);
          expect(await overflowsHorizontally(page)).toBe(false);
          for (const story of [...content.stories, ...content.blogs]) {
            const url = story.url;
            // The headline links to the story, and so does its picture, if it has one.
            const all = page.locator(`a[href="${url.replace(/"/g, '\\"')}"]`);
            await expect(all.count()).resolves.toBe(story.image_url ? 2 : 1);
            const link = page.locator(`h3 a[href="${url.replace(/"/g, '\\"')}"]`);
            await expect(link.count()).resolves.toBe(1);
            expect(await link.isVisible(), url).toBe(true);
            const box = await link.boundingBox();
            expect(box, url).not.toBeNull();
            expect(box!.x).toBeGreaterThanOrEqual(0);
            expect(box!.x + box!.width).toBeLessThanOrEqual(viewport.width + 1);
          }
          expect(await page.locator('a[href="https://digest.example.com/u/token"]').isVisible()).toBe(true);
          // Hostile text shows as text; nothing ran.
          expect(await page.evaluate('document.querySelectorAll("script").length')).toBe(0);
        } finally {
          await page.close();
        }
      });
    }
  }
});

/** [r, g, b] of a computed CSS colour (`rgb(…)` or `rgba(…)`), or null when fully transparent. */
function rgb(css: string): [number, number, number] | null {
  const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)(?:,\s*([\d.]+))?\)/.exec(css);
  if (!m) throw new Error(`not a colour: ${css}`);
  if (m[4] !== undefined && Number(m[4]) === 0) return null;
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** WCAG relative luminance and contrast ratio. */
function luminance([r, g, b]: [number, number, number]): number {
  const c = (v: number) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * c(r) + 0.7152 * c(g) + 0.0722 * c(b);
}
function contrast(a: [number, number, number], b: [number, number, number]): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** In the page: the first non-transparent background at (x, y), walking up from the element there. */
const BACKGROUND_AT = `(([x, y]) => {
  for (let el = document.elementFromPoint(x, y); el; el = el.parentElement) {
    const bg = getComputedStyle(el).backgroundColor;
    if (bg && bg !== 'transparent' && bg !== 'rgba(0, 0, 0, 0)') return bg;
  }
  return 'rgb(255, 255, 255)';
})`;

describe('the digest email in dark mode, and its pictures', () => {
  const stories = [
    fixtureStory({ title: 'Picture “story” & <friends>', image_url: 'https://img.example.com/a.jpg' }),
    fixtureStory({ image_url: 'https://img.example.com/b.jpg' }),
    fixtureStory(),
  ];
  const blogs = [fixtureStory({ kind: 'blog' })];

  async function open(colorScheme: 'light' | 'dark') {
    const rendered = await renderEdition({
      date: '2026-11-26',
      site: { name: 'The Morning Post', postalAddress: '1 Main Street' },
      publicUrl: 'https://digest.example.com',
      stories,
      blogs,
    });
    const { html } = personalise(rendered, {
      name: 'Ann',
      unsubscribeUrl: 'https://digest.example.com/u/t',
      preferencesUrl: 'https://digest.example.com/p/t',
    });
    const page = await browser.newPage({ viewport: DESKTOP, colorScheme });
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'domcontentloaded' });
    return page;
  }

  /** The margin beside the 600 px card, the card behind the rule under "Top stories", and that rule. */
  async function colours(colorScheme: 'light' | 'dark') {
    const page = await open(colorScheme);
    try {
      await screenshot(page, `email-${colorScheme}-${DESKTOP.width}`);
      const margin = (await page.evaluate(`${BACKGROUND_AT}([20, 300])`)) as string;
      const rule = page.locator('h2.dd-rule').first();
      const box = (await rule.boundingBox())!;
      const card = (await page.evaluate(`${BACKGROUND_AT}([${box.x + box.width / 2}, ${box.y + box.height / 2}])`)) as string;
      const border = (await page.evaluate(
        '(() => { const s = getComputedStyle(document.querySelector("h2.dd-rule")); return [s.borderBottomStyle, s.borderBottomWidth, s.borderBottomColor]; })()',
      )) as [string, string, string];
      return { margin: rgb(margin)!, card: rgb(card)!, border };
    } finally {
      await page.close();
    }
  }

  it('colours the outer margin dark in dark mode, and keeps the rule under "Top stories" visible', async () => {
    const dark = await colours('dark');
    expect(luminance(dark.margin), `margin ${dark.margin}`).toBeLessThan(0.05);
    expect(luminance(dark.card), `card ${dark.card}`).toBeLessThan(0.05);
    expect(dark.border[0]).toBe('solid');
    expect(parseFloat(dark.border[1])).toBeGreaterThanOrEqual(1);
    // WCAG's 3:1 for the parts of a page that carry meaning beyond text.
    expect(contrast(rgb(dark.border[2])!, dark.card), `rule ${dark.border[2]} on ${dark.card}`).toBeGreaterThanOrEqual(3);
  });

  it('keeps the light look in light mode: a grey margin, a white card, a dark rule', async () => {
    const light = await colours('light');
    expect(light.margin).toEqual([243, 244, 246]);
    expect(light.card).toEqual([255, 255, 255]);
    expect(contrast(rgb(light.border[2])!, light.card)).toBeGreaterThanOrEqual(3);
  });

  it('links each picture to its story, with the headline as its alt text', async () => {
    const page = await open('light');
    try {
      const images = (await page.evaluate(
        '[...document.querySelectorAll("img")].map((img) => ({ alt: img.getAttribute("alt"), href: img.closest("a") && img.closest("a").getAttribute("href") }))',
      )) as { alt: string; href: string | null }[];
      expect(images).toEqual(stories.filter((s) => s.image_url).map((s) => ({ alt: s.title, href: s.url })));
    } finally {
      await page.close();
    }
  });
});
