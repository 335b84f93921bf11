import type { FastifyInstance } from 'fastify';
import { buildPreview, currentEditionDate } from '../editions/index.js';
import { describePreflight, escapeHtml } from '../render/index.js';
import { requireAdmin } from './admin-session.js';
import type { WebDeps } from './web-deps.js';

/**
 * GET /admin/preview[?date=YYYY-MM-DD] (the admin session or Bearer ADMIN_TOKEN): the edition that date would get from
 * today's stories, as a sample reader would receive it, at phone (375 px) and desktop (800 px)
 * widths side by side, with the preflight verdict. Nothing is stored or sent.
 */
const DATE = /^\d{4}-\d{2}-\d{2}$/;
export const PREVIEW_WIDTHS = [375, 800] as const;

export function adminPreviewRoutes(app: FastifyInstance, deps: WebDeps): void {
  app.get<{ Querystring: { date?: string } }>('/admin/preview', { preHandler: requireAdmin(deps) }, async (request, reply) => {
    // Default: the edition that would go out next (the demo's, at any hour), not the calendar's today.
    const date = request.query.date ?? currentEditionDate(deps.config, deps.clock());
    if (!DATE.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) {
      return reply.code(400).send({ error: 'invalid_date', message: 'date must be YYYY-MM-DD' });
    }
    const preview = await buildPreview(deps.db, deps.config, date);
    const frames = PREVIEW_WIDTHS.map(
      (w) => `<figure><figcaption>${w} px</figcaption><iframe title="preview at ${w} px" width="${w}" height="1400" sandbox="allow-popups" srcdoc="${escapeHtml(preview.sample.html)}"></iframe></figure>`,
    ).join('\n');
    const verdict = describePreflight(preview.preflight);
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Preview ${escapeHtml(date)}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:16px}.frames{display:flex;gap:24px;align-items:flex-start;overflow-x:auto}
iframe{border:1px solid #ccc;background:#fff}figure{margin:0}pre{white-space:pre-wrap}.ok{color:#137333}.bad{color:#b3261e}</style></head>
<body><h1>Edition ${escapeHtml(date)}: preview</h1>
<p><strong>Subject:</strong> ${escapeHtml(preview.rendered.subject)}<br><strong>Preheader:</strong> ${escapeHtml(preview.rendered.preheader)}<br>
${preview.rendered.storyIds.length} stories · MJML render ${preview.renderMs.toFixed(0)} ms</p>
<pre class="${preview.preflight.ok ? 'ok' : 'bad'}">${escapeHtml(verdict)}</pre>
<div class="frames">${frames}</div>
<h2>Plain-text part</h2><pre>${escapeHtml(preview.sample.text)}</pre>
</body></html>`;
    // The frames' srcdoc inherits this policy: story images come from wherever the stories point.
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src https: http: data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
      .send(html);
  });
}
