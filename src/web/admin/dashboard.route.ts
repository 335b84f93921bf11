import type { FastifyInstance } from 'fastify';
import { deliveryOverview } from '../../delivery/index.js';
import { subscriberCounts, subscriberGrowth, unsubscribeReasons } from '../../subscribers/index.js';
import { formatInstant } from '../../config/index.js';
import { html } from '../pages/html.js';
import { requireAdmin } from './admin-session.js';
import type { WebDeps } from '../web-deps.js';
import { adminPage, sendAdminPage } from './admin.layout.js';
import { lineChart } from './svg-chart.js';

const n = (v: number) => v.toLocaleString('en-US');

/**
 * GET /admin: the numbers an operator checks in the morning. Subscribers over 30 days (drawn as SVG on
 * the server), the last editions with sent / failed / retrying / waiting counts (the words of
 * docs/glossary.md), the retry queue, bounces and complaints, and why readers left, per edition.
 */
export function dashboardRoutes(app: FastifyInstance, deps: WebDeps): void {
  app.get('/admin', { preHandler: requireAdmin(deps) }, async (request, reply) => {
    const [counts, growth, overview, reasons] = await Promise.all([
      subscriberCounts(deps.db),
      subscriberGrowth(deps.db, 30),
      deliveryOverview(deps.db, 10),
      unsubscribeReasons(deps.db, 30),
    ]);
    const labels = growth.map((g) => g.day.slice(5));
    const bounces30 = growth.reduce((a, g) => a + g.bounced, 0);
    const body = html`
<section class="cards" aria-label="Totals">
  <div class="card"><b>${n(counts.active)}</b>active readers</div>
  <div class="card"><b>${n(counts.pending)}</b>awaiting confirmation</div>
  <div class="card"><b>${n(counts.unsubscribed)}</b>unsubscribed</div>
  <div class="card"><b>${n(counts.bounced)}</b>bounced</div>
  <div class="card"><b>${n(overview.retryQueue.count)}</b>in the retry queue${overview.retryQueue.nextAt ? html`<br><span class="muted">next ${formatInstant(overview.retryQueue.nextAt)}</span>` : ''}</div>
  <div class="card"><b>${n(bounces30)}</b>bounces and complaints, 30 days</div>
</section>
<h2>Subscribers, last 30 days</h2>
<div class="cards" style="grid-template-columns:repeat(auto-fit,minmax(300px,1fr))">
${lineChart({ title: 'Active readers', labels, series: [{ name: 'active', color: '#1346b8', values: growth.map((g) => g.active) }] })}
${lineChart({
  title: 'Joined and left per day',
  labels,
  series: [
    { name: 'confirmed', color: '#137333', values: growth.map((g) => g.confirmed) },
    { name: 'unsubscribed', color: '#b3261e', values: growth.map((g) => g.unsubscribed) },
    { name: 'bounced', color: '#b26a00', values: growth.map((g) => g.bounced) },
  ],
})}
</div>
<h2>Last editions</h2>
<div class="scroll"><table>
<thead><tr><th>Edition</th><th>Status</th><th class="n">Sent</th><th class="n">Failed</th><th class="n">Retrying</th><th class="n">Waiting</th><th class="n">Total</th></tr></thead>
<tbody>${
      overview.editions.length
        ? overview.editions.map(
            ({
              edition: e,
              counts: c,
            }) => html`<tr><td data-label="Edition"><a href="/admin/editions/${e.id}">${e.date} ${e.slot}</a></td><td data-label="Status">${e.status}${e.error ? html`<br><span class="bad">${e.error}</span>` : ''}</td>
<td class="n" data-label="Sent">${n(c.sent)}</td><td class="n" data-label="Failed">${n(c.failed)}</td><td class="n" data-label="Retrying">${n(c.retry)}</td><td class="n" data-label="Waiting">${n(c.queued + c.sending)}</td><td class="n" data-label="Total">${n(c.total)}</td></tr>`,
          )
        : html`<tr><td colspan="7" class="muted">No edition yet.</td></tr>`
    }</tbody></table></div>
${overview.oldestLease ? html`<p class="muted">Oldest lease: delivery ${overview.oldestLease.deliveryId}, until ${formatInstant(overview.oldestLease.leaseUntil)}.</p>` : ''}
<h2>Why readers left</h2>
${
  reasons.length
    ? html`<div class="scroll"><table><thead><tr><th>Edition</th><th>Reason</th><th class="n">Readers</th></tr></thead><tbody>${reasons.map(
        (r) =>
          html`<tr><td data-label="Edition">${r.editionId ?? '—'}</td><td data-label="Reason">${r.reason}</td><td class="n" data-label="Readers">${r.count}</td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="muted">No reasons given yet.</p>`
}`;
    return sendAdminPage(reply, 200, await adminPage(request, deps, 'Dashboard', body));
  });
}
