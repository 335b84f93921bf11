import type { FastifyInstance } from 'fastify';
import { readFile } from 'node:fs/promises';
import { DEMO_IMAGES, DEMO_STORIES } from '../demo/index.js';
import { html } from './pages/html.js';
import { page, sendPage } from './pages/layout.js';
import { signupForm } from './pages/signup.page.js';
import type { WebDeps } from './web-deps.js';

const IMAGE_NAMES = new Set(['city', 'market', 'desert', 'stadium']);

/**
 * Demo mode only: the sample stories' article pages (so links in the demo digest lead somewhere, on a
 * machine with no internet) with the site's "emailed to you each day" sign-up block, and their images.
 */
export function demoRoutes(app: FastifyInstance, deps: WebDeps): void {
  app.get<{ Params: { name: string } }>('/demo/images/:name', async (request, reply) => {
    const name = request.params.name.replace(/\.png$/, '');
    if (!IMAGE_NAMES.has(name)) return reply.code(404).send('not found');
    return reply
      .type('image/png')
      .header('cache-control', 'public, max-age=86400')
      .send(await readFile(`${DEMO_IMAGES}${name}.png`));
  });

  app.get<{ Params: { slug: string } }>('/demo/stories/:slug', async (request, reply) => {
    const story = DEMO_STORIES.find((s) => s.slug === request.params.slug);
    if (!story) return reply.code(404).send('not found');
    const body = html`<article class="card">
<p class="hint">${story.section} · ${story.kind === 'blog' ? 'Blog' : 'News'}</p>
<h1>${story.title}</h1>
<p class="hint">By ${story.byline}</p>
${story.image ? html`<img src="/demo/images/${story.image}.png" alt="" width="600" height="300" style="max-width:100%;height:auto;border-radius:6px">` : ''}
<p>${story.summary}</p>
<p class="hint">${story.votes} users have voted · ${story.comments} comments</p>
</article>
<section class="card" style="margin-top:1.25rem" aria-labelledby="signup-heading">
<h2 id="signup-heading">Get top stories and blog posts emailed to you each day.</h2>
${signupForm(deps.config, {}, { compact: true })}
</section>`;
    return sendPage(reply, 200, page(deps.config, { title: story.title, body }));
  });
}
