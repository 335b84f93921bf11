import type { FastifyInstance } from 'fastify';
import { deliveryCounts, deliveryOverview } from '../../delivery/index.js';
import { dailySpecs, editionFailures, editionStories, pauseEdition, prepareEdition, resumeEdition } from '../../editions/index.js';
import { localDate } from '../../ranking/index.js';
import { clicksForEdition } from '../../stories/index.js';
import { ALL_SECTIONS, personalise, type RenderedEdition } from '../../render/index.js';
import { describeAddressProblem, parseEmailAddress } from '../../subscribers/index.js';
import { html } from '../pages/html.js';
import { requireAdmin } from '../admin-session.js';
import type { WebDeps } from '../web-deps.js';
import { adminPage, csrfField, sendAdminPage } from './admin.layout.js';

const n = (v: number) => v.toLocaleString('en-US');
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Editions in the admin: the list with delivery counts, one edition's numbers and stories, and the
 * operator's actions — send now, pause, resume, send a test to an address. Every action is a
 * CSRF-checked POST and is logged.
 */
export function editionsAdminRoutes(app: FastifyInstance, deps: WebDeps): void {
  const guard = { preHandler: requireAdmin(deps.config) };
  const { config, db } = deps;

  app.get<{ Querystring: { msg?: string } }>('/admin/editions', guard, async (request, reply) => {
    const overview = await deliveryOverview(db, 60);
    const today = localDate(new Date(), config.digest.timeZone);
    const body = html`
${request.query.msg ? html`<p class="flash" role="status">${request.query.msg}</p>` : ''}
<form method="post" action="/admin/editions/send-now" class="card row">${csrfField(request, deps)}
<label for="date">Edition date</label><input id="date" name="date" type="date" value="${today}" required>
<button type="submit">Send now</button>
<span class="muted">Creates the edition of that date (its stories: the 24 h before its ${config.digest.cron} slot in ${config.digest.timeZone}) and sends it at once instead of at its slot.</span></form>
<h2>All editions</h2>
<div class="scroll"><table><thead><tr><th>Edition</th><th>Kind</th><th>Status</th><th class="n">Sent</th><th class="n">Failed</th><th class="n">Retrying</th><th class="n">Waiting</th><th class="n">Total</th></tr></thead><tbody>
${
  overview.editions.length
    ? overview.editions.map(
        ({ edition: e, counts: c }) => html`<tr><td><a href="/admin/editions/${e.id}">${e.date} ${e.slot}</a></td><td>${e.kind}</td><td>${e.status}</td>
<td class="n">${n(c.sent)}</td><td class="n">${n(c.failed)}</td><td class="n">${n(c.retry)}</td><td class="n">${n(c.queued + c.sending)}</td><td class="n">${n(c.total)}</td></tr>`,
      )
    : html`<tr><td colspan="8" class="muted">No edition yet.</td></tr>`
}</tbody></table></div>`;
    return sendAdminPage(reply, 200, adminPage(request, deps, 'Editions', body));
  });

  app.get<{ Params: { id: string }; Querystring: { msg?: string } }>('/admin/editions/:id', guard, async (request, reply) => {
    const id = Number(request.params.id);
    const e = Number.isSafeInteger(id) ? await db.selectFrom('editions').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
    if (!e) return sendAdminPage(reply, 404, adminPage(request, deps, 'Not found', html`<p>No such edition.</p>`));
    const [c, failures, stories, clicks] = await Promise.all([deliveryCounts(db, e.id), editionFailures(db, e.id), editionStories(db, e.story_ids), clicksForEdition(db, e.id)]);
    const body = html`
${request.query.msg ? html`<p class="flash" role="status">${request.query.msg}</p>` : ''}
<p><b>${e.date} ${e.slot}</b> (${e.kind}) · status <b>${e.status}</b> · send time ${e.send_at.toISOString()} · <a href="/editions/${e.date}">view in browser</a></p>
${e.error ? html`<pre class="card bad" style="white-space:pre-wrap">${e.error}</pre>` : ''}
<p>${e.subject ?? ''}</p>
<section class="cards" aria-label="Deliveries">
<div class="card"><b>${n(c.sent)}</b>sent (relay said 250)</div><div class="card"><b>${n(c.failed)}</b>failed</div>
<div class="card"><b>${n(c.retry)}</b>retrying</div><div class="card"><b>${n(c.queued + c.sending)}</b>waiting or in flight</div>
<div class="card"><b>${n(c.skipped)}</b>skipped (unsubscribed or suppressed at send time)</div><div class="card"><b>${n(c.uncertain)}</b>uncertain (resent once)</div>
</section>
<div class="row" style="margin-top:12px">
${e.status === 'sending' ? html`<form method="post" action="/admin/editions/${e.id}/pause">${csrfField(request, deps)}<button type="submit" class="secondary">Pause</button></form>` : ''}
${e.status === 'paused' ? html`<form method="post" action="/admin/editions/${e.id}/resume">${csrfField(request, deps)}<button type="submit">Resume</button></form>` : ''}
${e.html ? html`<form method="post" action="/admin/editions/${e.id}/test" class="row">${csrfField(request, deps)}<label for="to">Send a test to</label><input id="to" name="to" type="email" required placeholder="you@example.com"><button type="submit" class="secondary">Send test</button></form>` : ''}
</div>
${failures.length ? html`<h2>Why deliveries failed</h2><div class="scroll"><table><thead><tr><th>Reply</th><th class="n">Deliveries</th></tr></thead><tbody>${failures.map((f) => html`<tr><td>${f.error}</td><td class="n">${n(f.count)}</td></tr>`)}</tbody></table></div>` : ''}
<h2>Stories</h2>
<ol>${stories.map((s) => html`<li><a href="${s.url}" rel="noreferrer noopener">${s.title}</a> <span class="muted">${s.kind} · ${s.votes} votes · ${s.comments} comments${config.clickTracking !== 'off' || clicks.size > 0 ? ` · ${clicks.get(s.id) ?? 0} clicks` : ''}</span></li>`)}</ol>`;
    return sendAdminPage(reply, 200, adminPage(request, deps, `Edition ${e.date} ${e.slot}`, body));
  });

  app.post<{ Body: { date?: string } }>('/admin/editions/send-now', guard, async (request, reply) => {
    const date = typeof request.body?.date === 'string' && DATE.test(request.body.date) ? request.body.date : undefined;
    const back = (msg: string) => reply.redirect(`/admin/editions?msg=${encodeURIComponent(msg)}`, 303);
    if (!date) return back('Pick a date (YYYY-MM-DD).');
    const spec = dailySpecs(config, date)[0];
    if (!spec) return back(`The schedule (${config.digest.cron}) has no send slot on ${date}.`);
    const prepared = await prepareEdition({ db, config, log: deps.log }, spec, { now: deps.clock() });
    request.log.info({ event: 'admin.send_now', edition: prepared.edition.id, date, outcome: prepared.outcome }, 'operator pressed send now');
    const messages: Record<string, string> = {
      created: `Edition ${date} is sending to ${prepared.deliveriesCreated} readers.`,
      resumed: `Edition ${date} was already sending; nothing new was queued.`,
      already_sent: `Edition ${date} was already sent; nobody gets it twice.`,
      empty: `Edition ${date} has no stories in its window: nothing sent.`,
      expired: `Edition ${date} is past its cutoff: it is never sent late.`,
      failed: `Edition ${date} failed: ${prepared.edition.error ?? ''}`,
      paused: `Edition ${date} is paused: resume it to go on.`,
    };
    return reply.redirect(`/admin/editions/${prepared.edition.id}?msg=${encodeURIComponent(messages[prepared.outcome] ?? prepared.outcome)}`, 303);
  });

  for (const [action, change, verb] of [
    ['pause', pauseEdition, 'Paused: workers stop claiming; messages already with the relay finish.'],
    ['resume', resumeEdition, 'Resumed.'],
  ] as const) {
    app.post<{ Params: { id: string } }>(`/admin/editions/:id/${action}`, guard, async (request, reply) => {
      const id = Number(request.params.id);
      if (!Number.isSafeInteger(id)) return reply.code(404).send('not found');
      const changed = await change(db, id);
      request.log.info({ event: `admin.edition_${action}d`, edition: id, changed }, `operator ${action}d an edition`);
      return reply.redirect(`/admin/editions/${id}?msg=${encodeURIComponent(changed ? verb : `Nothing to ${action}.`)}`, 303);
    });
  }

  app.post<{ Params: { id: string }; Body: { to?: string } }>('/admin/editions/:id/test', guard, async (request, reply) => {
    const id = Number(request.params.id);
    const e = Number.isSafeInteger(id) ? await db.selectFrom('editions').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
    if (!e?.html || !e.text || !e.subject) return reply.code(404).send('not found');
    const address = parseEmailAddress(typeof request.body?.to === 'string' ? request.body.to : '');
    const back = (msg: string) => reply.redirect(`/admin/editions/${id}?msg=${encodeURIComponent(msg)}`, 303);
    if (!address.ok) return back(`Not sent: ${describeAddressProblem(address.problem)}`);
    // The stored render, with sample personal parts: the links show where readers' links go.
    const rendered: RenderedEdition = {
      date: e.date, sections: ALL_SECTIONS, subject: e.subject, preheader: '', html: e.html, text: e.text,
      storyIds: e.story_ids, viewUrl: `${config.publicUrl}/editions/${e.date}`, linkHosts: [],
    };
    const parts = personalise(rendered, { name: 'Test reader', unsubscribeUrl: `${config.publicUrl}/u/test-link-only`, preferencesUrl: `${config.publicUrl}/p/test-link-only` });
    await deps.mailer.send({ to: address.email, subject: `[Test] ${e.subject}`, html: parts.html, text: parts.text });
    request.log.info({ event: 'admin.test_sent', edition: id }, 'operator sent a test copy');
    return back(`Test sent to ${address.email}.`);
  });
}
