import type { FastifyInstance } from 'fastify';
import { generateRssFeed } from 'feedsmith';
import { editionStories, findPublishedEdition, listPublishedEditions, type PublishedEdition } from '../editions/index.js';
import { editionInputFor, escapeHtml, renderEdition } from '../render/index.js';
import { longDate } from '../render/edition.view.js';
import type { WebDeps } from './web-deps.js';

/**
 * The public face of past editions: GET /editions/:date ("view in browser", linked from every
 * email; no personal data in it), GET /editions (the archive) and GET /editions/feed.xml (RSS).
 * The page is rendered from the edition's stories in 'web' mode, cached per edition version.
 */
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const CACHE_MAX = 32;

function page(lang: string, title: string, body: string): string {
  return `<!doctype html>
<html lang="${escapeHtml(lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;max-width:640px;margin:0 auto;padding:16px;color-scheme:light dark}
li{margin:0 0 12px}a{overflow-wrap:anywhere}.meta{color:#6b7280;font-size:14px}</style></head>
<body>${body}</body></html>`;
}

export function editionsRoutes(app: FastifyInstance, deps: WebDeps): void {
  const { db, config } = deps;
  const l = config.locale;
  const cache = new Map<string, string>();

  app.get('/editions/feed.xml', async (_request, reply) => {
    const editions = await listPublishedEditions(db, 30);
    const xml = generateRssFeed({
      title: config.site.name,
      link: `${config.publicUrl}/editions`,
      description: l.t('editions.feed_description', { site: config.site.name }),
      language: l.lang,
      items: editions.map((e) => {
        const link = `${config.publicUrl}/editions/${e.date}`;
        return { title: e.subject ?? `${config.site.name}, ${longDate(e.date, l)}`, link, guid: { value: link, isPermaLink: true }, pubDate: e.send_at };
      }),
    });
    return reply.type('application/rss+xml; charset=utf-8').header('cache-control', 'public, max-age=300').send(xml);
  });

  app.get('/editions', async (_request, reply) => {
    const editions = await listPublishedEditions(db, 365);
    const items = editions
      .map((e: PublishedEdition) => `<li><a href="/editions/${e.date}">${escapeHtml(longDate(e.date, l))}</a>${e.subject ? `<br><span class="meta">${escapeHtml(e.subject)}</span>` : ''}</li>`)
      .join('\n');
    const title = l.t('editions.title', { site: config.site.name });
    const body = `<h1>${escapeHtml(title)}</h1>
<p class="meta"><a href="/editions/feed.xml">${escapeHtml(l.t('editions.rss'))}</a> · <a href="/">${escapeHtml(l.t('editions.by_email'))}</a></p>
${items ? `<ul>${items}</ul>` : `<p>${escapeHtml(l.t('editions.none'))}</p>`}`;
    return reply.type('text/html; charset=utf-8').header('cache-control', 'public, max-age=300').send(page(l.lang, title, body));
  });

  app.get<{ Params: { date: string } }>('/editions/:date', async (request, reply) => {
    const { date } = request.params;
    const notFound = () =>
      reply
        .code(404)
        .type('text/html; charset=utf-8')
        .send(page(l.lang, l.t('editions.not_found.title'), `<h1>${escapeHtml(l.t('editions.not_found', { date }))}</h1><p><a href="/editions">${escapeHtml(l.t('editions.all'))}</a></p>`));
    if (!DATE.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) return notFound();
    const edition = await findPublishedEdition(db, date);
    if (!edition) return notFound();
    const key = `${edition.id}:${edition.updated_at.getTime()}`;
    let html = cache.get(key);
    if (!html) {
      const stories = await editionStories(db, edition.story_ids);
      const rendered = await renderEdition(
        editionInputFor(config, { date, stories: stories.filter((s) => s.kind === 'story'), blogs: stories.filter((s) => s.kind === 'blog'), mode: 'web' }),
      );
      html = rendered.html;
      if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
      cache.set(key, html);
    }
    return reply.type('text/html; charset=utf-8').header('cache-control', 'public, max-age=300').send(html);
  });
}
