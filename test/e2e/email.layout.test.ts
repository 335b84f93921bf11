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
    stories: [referenceArticle(), fixtureStory({ image_url: 'https://img.example.com/wide.jpg' }), fixtureStory({ title: '<script>alert(1)</script> "><img src=x onerror=alert(1)>' })],
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
          const links = [...content.stories, ...content.blogs].map((s) => s.url);
          for (const url of links) {
            const link = page.locator(`a[href="${url.replace(/"/g, '\\"')}"]`);
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
