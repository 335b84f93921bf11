import type { FastifyInstance } from 'fastify';
import { eraseSubscriber, findSubscriber, searchSubscribers, subscriberEvents, unsubscribe } from '../../subscribers/index.js';
import { formatInstant } from '../../config/index.js';
import { html } from '../pages/html.js';
import { requireAdmin } from './admin-session.js';
import type { WebDeps } from '../web-deps.js';
import { adminPage, csrfField, sendAdminPage } from './admin.layout.js';

const when = (d: Date | null) => (d ? formatInstant(d) : '—');

/**
 * Subscribers in the admin: search by address, a reader's history, and the two actions an operator
 * takes on a reader's behalf (unsubscribe, erase). Actions are POST with CSRF and logged by id.
 */
export function subscribersAdminRoutes(app: FastifyInstance, deps: WebDeps): void {
  const guard = { preHandler: requireAdmin(deps) };

  app.get<{ Querystring: { q?: string } }>('/admin/subscribers', guard, async (request, reply) => {
    const q = typeof request.query.q === 'string' ? request.query.q : '';
    const rows = await searchSubscribers(deps.db, q);
    const body = html`
<form method="get" action="/admin/subscribers" class="row" role="search"><label for="q">Address</label>
<input id="q" name="q" type="search" value="${q}" placeholder="name@example.com"><button type="submit">Search</button></form>
<div class="scroll" style="margin-top:12px"><table><thead><tr><th>Address</th><th>Name</th><th>Status</th><th>Frequency</th><th>Signed up</th></tr></thead>
<tbody>${
      rows.length
        ? rows.map(
            (s) =>
              html`<tr><td data-label="Address"><a href="/admin/subscribers/${s.id}">${s.email}</a></td><td data-label="Name">${s.name ?? ''}</td><td data-label="Status">${s.status}</td><td data-label="Frequency">${s.frequency}</td><td data-label="Signed up">${when(s.created_at)}</td></tr>`,
          )
        : html`<tr><td colspan="5" class="muted">No subscriber matches.</td></tr>`
    }</tbody></table></div>`;
    return sendAdminPage(reply, 200, await adminPage(request, deps, 'Subscribers', body));
  });

  app.get<{ Params: { id: string }; Querystring: { done?: string } }>('/admin/subscribers/:id', guard, async (request, reply) => {
    const id = Number(request.params.id);
    const s = Number.isSafeInteger(id) ? await findSubscriber(deps.db, id) : undefined;
    if (!s)
      return sendAdminPage(reply, 404, await adminPage(request, deps, 'Not found', html`<p>No such subscriber (erased, perhaps).</p>`));
    const events = await subscriberEvents(deps.db, s.id);
    const body = html`
${request.query.done === 'unsubscribed' ? html`<p class="flash">Unsubscribed.</p>` : ''}
<div class="card"><p><b>${s.email}</b> ${s.name ? html`(${s.name})` : ''}</p>
<p>Status <b>${s.status}</b> · ${s.frequency}${s.frequency === 'weekly' && s.weekday !== null ? html` on day ${s.weekday}` : ''} · sections ${s.sections.join(', ')} ·
${s.send_hour !== null ? html`at ${s.send_hour}:00 ${s.timezone ?? ''}` : 'at the default send time'}</p>
<p class="muted">Signed up ${when(s.created_at)} · confirmed ${when(s.confirmed_at)} · unsubscribed ${when(s.unsubscribed_at)}</p>
<div class="row">
${s.status === 'active' || s.status === 'pending' ? html`<form method="post" action="/admin/subscribers/${s.id}/unsubscribe">${csrfField(request, deps)}<button type="submit" class="secondary">Unsubscribe</button></form>` : ''}
<form method="post" action="/admin/subscribers/${s.id}/erase">${csrfField(request, deps)}
<label class="muted"><input type="checkbox" name="confirm" value="yes" required> erase all personal data</label> <button type="submit">Erase</button></form>
</div></div>
<h2>History</h2>
<div class="scroll"><table><thead><tr><th>When</th><th>Event</th><th>Edition</th><th>Reason</th></tr></thead><tbody>
${events.map((e) => html`<tr><td data-label="When">${when(e.at)}</td><td data-label="Event">${e.type}</td><td data-label="Edition">${e.editionDate ?? ''}</td><td data-label="Reason">${e.reason ?? ''}</td></tr>`)}
</tbody></table></div>`;
    return sendAdminPage(reply, 200, await adminPage(request, deps, 'Subscriber', body));
  });

  app.post<{ Params: { id: string } }>('/admin/subscribers/:id/unsubscribe', guard, async (request, reply) => {
    const id = Number(request.params.id);
    if (!Number.isSafeInteger(id)) return reply.code(404).send('not found');
    const result = await unsubscribe(deps.db, id, { reason: 'by the operator' });
    request.log.info(
      { event: 'admin.subscriber_unsubscribed', subscriberId: id, changed: result.changed },
      'operator unsubscribed a reader',
    );
    return reply.redirect(`/admin/subscribers/${id}?done=unsubscribed`, 303);
  });

  app.post<{ Params: { id: string }; Body: { confirm?: string } }>('/admin/subscribers/:id/erase', guard, async (request, reply) => {
    const id = Number(request.params.id);
    const s = Number.isSafeInteger(id) ? await findSubscriber(deps.db, id) : undefined;
    if (!s) return reply.code(404).send('not found');
    if (request.body?.confirm !== 'yes') {
      return sendAdminPage(
        reply,
        400,
        await adminPage(
          request,
          deps,
          'Not erased',
          html`<p>Tick "erase all personal data" to confirm. <a href="/admin/subscribers/${id}">Back</a></p>`,
        ),
      );
    }
    await eraseSubscriber(deps.db, s.email);
    request.log.info({ event: 'admin.subscriber_erased', subscriberId: id }, 'operator erased a reader');
    return sendAdminPage(
      reply,
      200,
      await adminPage(
        request,
        deps,
        'Erased',
        html`<p class="flash">Erased. Only a hash of the address is kept, on the suppression list.</p><p><a href="/admin/subscribers">Back to subscribers</a></p>`,
      ),
    );
  });
}
