import type { FastifyInstance, FastifyReply } from 'fastify';
import { generateRssFeed } from 'feedsmith';
import type { Locale } from '../config/index.js';
import type { Story } from '../db/index.js';
import { editionIn, editionStories, listPublishedEditions, publishedEditionsOn, recentPublishedEditions, sentAt, type PublishedEdition } from '../editions/index.js';
import { editionInputFor, editionPath, escapeHtml, renderEdition, safeHttpUrl, slotFromSegment } from '../render/index.js';
import { longDate } from '../render/edition.view.js';
import type { WebDeps } from './web-deps.js';

/**
 * The public face of past editions, one page per edition (no personal data in any):
 *   GET /editions/:date         the date's main edition (its first daily slot), linking to the others;
 *                               the address of every email sent before slots had their own
 *   GET /editions/:date/:slot   one edition ("view in browser"; slot in its URL form, render/edition-url.ts)
 *   GET /editions               the archive, every published edition grouped by date
 *   GET /editions/feed.xml      RSS, one item per edition
 * A page shows the stories the edition was sent with (story_ids), rendered in 'web' mode and cached
 * per edition version.
 */
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const CACHE_MAX = 32;
const HEADLINES = 5;
/** Static HTML with MJML's inline styles: no scripts, no frames, images from anywhere a story points. */
const CSP = "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function page(lang: string, title: string, body: string): string {
  return `<!doctype html>
<html lang="${escapeHtml(lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;max-width:640px;margin:0 auto;padding:16px;color-scheme:light dark}
li{margin:0 0 12px}a{overflow-wrap:anywhere}.meta{color:#6b7280;font-size:14px}</style></head>
<body>${body}</body></html>`;
}

function sendHtml(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', status === 200 ? 'public, max-age=300' : 'no-store')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', CSP)
    .send(html);
}

/** How a page names an edition among its date's others: "06:00 edition", "Weekly edition", "22:00 UTC edition". */
function editionLabel(e: PublishedEdition, l: Locale): string {
  if (e.kind === 'weekly') return l.t('editions.label.weekly');
  if (e.kind === 'hourly') return l.t('editions.label.hourly', { time: e.slot.replace(/Z$/, '') });
  return l.t('editions.label.daily', { time: e.slot });
}

/** "Other editions of this date: <a>18:00 edition</a> · <a>Weekly edition</a>", or '' when there are none. */
function otherEditions(others: readonly PublishedEdition[], l: Locale): string {
  if (others.length === 0) return '';
  const links = others.map((e) => `<a href="${escapeHtml(editionPath(e.date, e.slot))}">${escapeHtml(editionLabel(e, l))}</a>`).join(' · ');
  return `${escapeHtml(l.t('editions.others'))} ${links}`;
}

/** The top headlines of an edition as an HTML list (RSS description: HTML, which feedsmith wraps as XML text). */
function headlines(ids: readonly number[], stories: ReadonlyMap<number, Story>): string {
  const items = ids
    .slice(0, HEADLINES)
    .map((id) => stories.get(id))
    .filter((s): s is Story => s !== undefined)
    .map((s) => {
      const url = safeHttpUrl(s.url);
      return `<li>${url ? `<a href="${escapeHtml(url)}">${escapeHtml(s.title)}</a>` : escapeHtml(s.title)}</li>`;
    });
  return items.length ? `<ul>${items.join('')}</ul>` : '';
}

export function editionsRoutes(app: FastifyInstance, deps: WebDeps): void {
  const { db, config } = deps;
  const l = config.locale;
  const cache = new Map<string, string>();

  app.get('/editions/feed.xml', async (_request, reply) => {
    const editions = await recentPublishedEditions(db, 30);
    const stories = new Map((await editionStories(db, [...new Set(editions.flatMap((e) => e.story_ids.slice(0, HEADLINES)))])).map((s) => [s.id, s]));
    const xml = generateRssFeed({
      title: config.site.name,
      link: `${config.publicUrl}/editions`,
      description: l.t('editions.feed_description', { site: config.site.name }),
      language: l.lang,
      items: editions.map((e) => {
        const link = config.publicUrl + editionPath(e.date, e.slot);
        return {
          title: e.subject ?? `${config.site.name}, ${longDate(e.date, l)}`,
          link,
          guid: { value: link, isPermaLink: true },
          description: headlines(e.story_ids, stories),
          pubDate: sentAt(e),
        };
      }),
    });
    return reply
      .type('application/rss+xml; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .header('x-content-type-options', 'nosniff')
      .send(xml);
  });

  app.get('/editions', async (_request, reply) => {
    const byDate = new Map<string, PublishedEdition[]>();
    for (const e of await listPublishedEditions(db, 365)) byDate.set(e.date, [...(byDate.get(e.date) ?? []), e]);
    const items = [...byDate.values()]
      .map(([main, ...others]) => {
        const subject = main!.subject ? `<br><span class="meta">${escapeHtml(main!.subject)}</span>` : '';
        const more = others.length ? `<br><span class="meta">${otherEditions(others, l)}</span>` : '';
        return `<li><a href="${escapeHtml(editionPath(main!.date))}">${escapeHtml(longDate(main!.date, l))}</a>${subject}${more}</li>`;
      })
      .join('\n');
    const title = l.t('editions.title', { site: config.site.name });
    const body = `<h1>${escapeHtml(title)}</h1>
<p class="meta"><a href="/editions/feed.xml">${escapeHtml(l.t('editions.rss'))}</a> · <a href="/">${escapeHtml(l.t('editions.by_email'))}</a></p>
${items ? `<ul>${items}</ul>` : `<p>${escapeHtml(l.t('editions.none'))}</p>`}`;
    return sendHtml(reply, 200, page(l.lang, title, body));
  });

  async function showEdition(reply: FastifyReply, date: string, segment?: string): Promise<FastifyReply> {
    const notFound = () =>
      sendHtml(
        reply,
        404,
        page(l.lang, l.t('editions.not_found.title'), `<h1>${escapeHtml(l.t('editions.not_found', { date }))}</h1><p><a href="/editions">${escapeHtml(l.t('editions.all'))}</a></p>`),
      );
    if (!DATE.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) return notFound();
    const slot = segment === undefined ? undefined : slotFromSegment(segment);
    if (segment !== undefined && slot === undefined) return notFound();
    const editions = await publishedEditionsOn(db, date);
    const edition = editionIn(editions, slot);
    if (!edition) return notFound();

    const key = `${edition.id}:${edition.updated_at.getTime()}`;
    let html = cache.get(key);
    if (!html) {
      const stories = await editionStories(db, edition.story_ids);
      const rendered = await renderEdition(
        editionInputFor(config, {
          date,
          slot: edition.slot,
          kind: edition.kind,
          stories: stories.filter((s) => s.kind === 'story'),
          blogs: stories.filter((s) => s.kind === 'blog'),
          mode: 'web',
        }),
      );
      html = rendered.html;
      if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
      cache.set(key, html);
    }
    // Per request, not cached: the date's other editions appear as they are published.
    const nav = otherEditions(
      editions.filter((e) => e.id !== edition.id),
      l,
    );
    const canonical = `<link rel="canonical" href="${escapeHtml(config.publicUrl + editionPath(date, edition.slot))}">`;
    html = html.replace('</head>', `${canonical}</head>`);
    if (nav) html = html.replace(/<body[^>]*>/, (body) => `${body}<nav style="max-width:600px;margin:0 auto;padding:12px 16px;font:14px/1.5 Arial,sans-serif">${nav}</nav>`);
    return sendHtml(reply, 200, html);
  }

  app.get<{ Params: { date: string } }>('/editions/:date', (request, reply) => showEdition(reply, request.params.date));
  app.get<{ Params: { date: string; slot: string } }>('/editions/:date/:slot', (request, reply) => showEdition(reply, request.params.date, request.params.slot));
}
