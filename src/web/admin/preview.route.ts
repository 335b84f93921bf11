import type { FastifyInstance, FastifyReply } from 'fastify';
import { buildPreview, currentEditionDate } from '../../editions/index.js';
import { describePreflight } from '../../render/index.js';
import { adminPage, sendAdminPage } from './admin.layout.js';
import { requireAdmin } from './admin-session.js';
import { html, type SafeHtml } from '../pages/html.js';
import type { WebDeps } from '../web-deps.js';

/**
 * GET /admin/preview[?date=YYYY-MM-DD] (the admin session or Bearer ADMIN_TOKEN): the edition that date would get from
 * today's stories, as a sample reader would receive it, at phone (375 px) and desktop (800 px)
 * widths side by side, each whole (on a narrower screen the desktop frame goes under the phone one;
 * on a phone the phone frame takes the screen's width and the desktop one, still 800 px, scrolls
 * sideways in its own box), with the preflight verdict, inside the admin's layout and navigation.
 * Nothing is stored or sent. An empty edition is shown as what would happen to it: with
 * EMPTY_DAY=skip nothing is sent (so no email is shown), with note the short note is.
 */
const DATE = /^\d{4}-\d{2}-\d{2}$/;
export const PREVIEW_WIDTHS = [375, 800] as const;
/** The frames' srcdoc inherits this policy: story images come from wherever the stories point. */
const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src https: http: data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function adminPreviewRoutes(app: FastifyInstance, deps: WebDeps): void {
  const send = (reply: FastifyReply, status: number, page: SafeHtml) => sendAdminPage(reply, status, page, CSP);

  app.get<{ Querystring: { date?: string } }>('/admin/preview', { preHandler: requireAdmin(deps) }, async (request, reply) => {
    // Default: the edition that would go out next (the demo's, at any hour), not the calendar's today.
    const date = request.query.date ?? currentEditionDate(deps.config, deps.clock());
    if (!DATE.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) {
      return send(
        reply,
        400,
        await adminPage(
          request,
          deps,
          'Preview',
          html`<p class="bad" role="alert">The date must be YYYY-MM-DD (got "${date}").</p>${dateForm('')}`,
        ),
      );
    }
    const preview = await buildPreview(deps.db, deps.config, date);
    const empty = preview.rendered.storyIds.length === 0;
    const skip = deps.config.delivery.emptyDay === 'skip';
    const verdict: SafeHtml = empty
      ? skip
        ? html`<p class="bad" role="status"><strong>Empty:</strong> no stories were published in this edition's window, so nothing would be sent (EMPTY_DAY=skip). Add stories (<a href="/admin/stories?date=${date}">Stories</a>), or set EMPTY_DAY=note to send a short note on empty days.</p>`
        : html`<p class="bad" role="status"><strong>Empty:</strong> no stories were published in this edition's window; the short note below would be sent (EMPTY_DAY=note).</p><pre class="${preview.preflight.ok ? 'ok' : 'bad'}">${describePreflight(preview.preflight)}</pre>`
      : html`<pre class="${preview.preflight.ok ? 'ok' : 'bad'}">${describePreflight(preview.preflight)}</pre>`;
    const email =
      empty && skip
        ? ''
        : html`<p><strong>Subject:</strong> ${preview.rendered.subject}<br><strong>Preheader:</strong> ${preview.rendered.preheader}<br>
${preview.rendered.storyIds.length} stories · MJML render ${preview.renderMs.toFixed(0)} ms</p>
<div class="frames">${PREVIEW_WIDTHS.map(
            (w) =>
              html`<figure class="${w < 600 ? 'phone' : 'desktop'}"><figcaption>${w} px</figcaption><iframe class="preview" title="preview at ${w} px" width="${w}" height="1400" sandbox="allow-popups" srcdoc="${preview.sample.html}"></iframe></figure>`,
          )}</div>
<h2>Plain-text part</h2><pre>${preview.sample.text}</pre>`;
    // Wide: at 1,280 px the two frames (375 + 800 px) stand side by side, each whole; narrower, the desktop one goes under.
    return send(
      reply,
      200,
      await adminPage(request, deps, `Edition ${date}: preview`, html`${dateForm(date)}${verdict}${email}`, { wide: true }),
    );
  });
}

function dateForm(date: string): SafeHtml {
  return html`<form method="get" action="/admin/preview" class="row"><label for="date">Preview the edition of</label><input id="date" name="date" type="date" value="${date}" required><button type="submit" class="secondary">Show</button></form>`;
}
