import type { FastifyInstance, FastifyReply } from 'fastify';
import { generateRssFeed } from 'feedsmith';
import type { Config, Locale } from '../config/index.js';
import type { Story } from '../db/index.js';
import {
  editionIn,
  editionStories,
  listPublishedEditions,
  publishedEditionsOn,
  recentPublishedEditions,
  sentAt,
  type PublishedEdition,
} from '../editions/index.js';
import { editionPath, escapeHtml, longDate, safeHttpUrl, sectionView, slotFromSegment, type SectionView } from '../render/index.js';
import { html, type SafeHtml } from './pages/html.js';
import { page, sendHtml } from './pages/layout.js';
import type { WebDeps } from './web-deps.js';

/**
 * The public face of past editions, one page per edition (no personal data in any):
 *   GET /editions/:date         the date's main edition (its first daily slot), linking to the others;
 *                               the address of every email sent before slots had their own
 *   GET /editions/:date/:slot   one edition ("view in browser"; slot in its URL form, render/edition-url.ts)
 *   GET /editions               the archive, every published edition grouped by date
 *   GET /editions/feed.xml      RSS, one item per edition
 * Pages are the reader pages' (pages/layout.ts): the site's header, its stylesheet, and a way to
 * subscribe and to the archive. An edition page shows the stories the edition was sent with
 * (story_ids), from the same views the email is filled from (render/edition.view.ts), with no
 * greeting and nothing of any reader's; it is cached per edition version.
 */
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const CACHE_MAX = 32;
const HEADLINES = 5;
/** No scripts, no frames, inline styles; images from anywhere a story points (and our icon). */
const CSP =
  "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function sendEditionPage(reply: FastifyReply, status: number, page: SafeHtml): FastifyReply {
  return sendHtml(reply, status, page, { csp: CSP, cacheControl: status === 200 ? 'public, max-age=300' : 'no-store' });
}

/** How a page names an edition among its date's others: "06:00 edition", "Weekly edition", "22:00 UTC edition". */
function editionLabel(e: PublishedEdition, l: Locale): string {
  if (e.kind === 'weekly') return l.t('editions.label.weekly');
  if (e.kind === 'hourly') return l.t('editions.label.hourly', { time: e.slot.replace(/Z$/, '') });
  return l.t('editions.label.daily', { time: e.slot });
}

/** "Other editions of this date: <a>18:00 edition</a> · <a>Weekly edition</a>", or nothing when there are none. */
function otherEditions(others: readonly PublishedEdition[], l: Locale): SafeHtml | '' {
  if (others.length === 0) return '';
  const links = others.map((e, i) => html`${i > 0 ? ' · ' : ''}<a href="${editionPath(e.date, e.slot)}">${editionLabel(e, l)}</a>`);
  return html`${l.t('editions.others')} ${links}`;
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

/** The way on from any edition page: subscribe (a real button, to the sign-up page) and the archive. */
function subscribeCard(config: Config): SafeHtml {
  const l = config.locale;
  return html`<div class="card cta">
<p>${l.t('editions.subscribe_lead', { site: config.site.name })}</p>
<p class="row"><a class="button" href="/">${l.t('editions.subscribe')}</a> <a href="/editions">${l.t('editions.archive_link')}</a></p>
</div>`;
}

function storyList(section: SectionView): SafeHtml {
  return html`<h2>${section.heading}</h2>
<ul class="plain">${section.stories.map(
    (s) => html`<li class="story">${s.imageUrl ? html`<img src="${s.imageUrl}" alt="" loading="lazy">` : ''}
<h3>${s.url ? html`<a href="${s.url}">${s.title}</a>` : s.title}</h3>
${s.teaser ? html`<p>${s.teaser}</p>` : ''}${s.meta ? html`<p class="meta">${s.meta}</p>` : ''}</li>`,
  )}</ul>`;
}

export function editionsRoutes(app: FastifyInstance, deps: WebDeps): void {
  const { db, config } = deps;
  const l = config.locale;
  const cache = new Map<string, SafeHtml>();

  app.get('/editions/feed.xml', async (_request, reply) => {
    const editions = await recentPublishedEditions(db, 30);
    const stories = new Map(
      (await editionStories(db, [...new Set(editions.flatMap((e) => e.story_ids.slice(0, HEADLINES)))])).map((s) => [s.id, s]),
    );
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
    const items = [...byDate.values()].map(
      ([main, ...others]) =>
        html`<li><a href="${editionPath(main!.date)}">${longDate(main!.date, l)}</a>${main!.subject ? html`<br><span class="meta">${main!.subject}</span>` : ''}${
          others.length ? html`<br><span class="meta">${otherEditions(others, l)}</span>` : ''
        }</li>`,
    );
    const title = l.t('editions.title', { site: config.site.name });
    const body = html`<div class="card">
<h1>${title}</h1>
<p class="meta"><a href="/editions/feed.xml">${l.t('editions.rss')}</a> · <a href="/">${l.t('editions.by_email')}</a></p>
${items.length ? html`<ul class="plain">${items}</ul>` : html`<p>${l.t('editions.none')}</p>`}
</div>`;
    return sendEditionPage(
      reply,
      200,
      page(config, { title, body, wide: true, head: html`<link rel="alternate" type="application/rss+xml" href="/editions/feed.xml">` }),
    );
  });

  async function showEdition(reply: FastifyReply, date: string, segment?: string): Promise<FastifyReply> {
    const notFound = () =>
      sendEditionPage(
        reply,
        404,
        page(config, {
          title: l.t('editions.not_found.title'),
          body: html`<div class="card"><h1>${l.t('editions.not_found', { date })}</h1><p><a href="/editions">${l.t('editions.all')}</a></p></div>${subscribeCard(config)}`,
        }),
      );
    if (!DATE.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) return notFound();
    const slot = segment === undefined ? undefined : slotFromSegment(segment);
    if (segment !== undefined && slot === undefined) return notFound();
    const editions = await publishedEditionsOn(db, date);
    const edition = editionIn(editions, slot);
    if (!edition) return notFound();

    const key = `${edition.id}:${edition.updated_at.getTime()}`;
    let stories = cache.get(key);
    if (!stories) {
      const rows = await editionStories(db, edition.story_ids);
      const sections = [
        sectionView(
          'stories',
          rows.filter((s) => s.kind === 'story'),
          undefined,
          l,
        ),
        sectionView(
          'blogs',
          rows.filter((s) => s.kind === 'blog'),
          undefined,
          l,
        ),
      ].filter((s) => s.stories.length > 0);
      stories = sections.length ? html`${sections.map(storyList)}` : html`<p>${l.t('editions.empty')}</p>`;
      if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
      cache.set(key, stories);
    }
    // Per request, not cached: the date's other editions appear as they are published.
    const others = otherEditions(
      editions.filter((e) => e.id !== edition.id),
      l,
    );
    const heading = longDate(date, l);
    const label = editions.length > 1 || edition.kind !== 'daily' ? editionLabel(edition, l) : undefined;
    const body = html`<article class="card">
<p class="meta">${config.site.name}${label ? html` · ${label}` : ''}</p>
<h1>${heading}</h1>
${others ? html`<p class="meta">${others}</p>` : ''}
${stories}
</article>
${subscribeCard(config)}`;
    return sendEditionPage(
      reply,
      200,
      page(config, {
        title: edition.subject ?? heading,
        body,
        wide: true,
        head: html`<link rel="canonical" href="${config.publicUrl + editionPath(date, edition.slot)}">`,
      }),
    );
  }

  app.get<{ Params: { date: string } }>('/editions/:date', (request, reply) => showEdition(reply, request.params.date));
  app.get<{ Params: { date: string; slot: string } }>('/editions/:date/:slot', (request, reply) =>
    showEdition(reply, request.params.date, request.params.slot),
  );
}
