import type { FastifyRequest } from 'fastify';
import type { Edition, EditionStatus } from '../../db/index.js';
import { currentThrottles, deliveryCounts, describeThrottle } from '../../delivery/index.js';
import { html, type SafeHtml } from '../pages/html.js';
import type { WebDeps } from '../web-deps.js';
import { csrfField } from './admin.layout.js';
import type { LiveView } from './live-view.js';

const n = (v: number) => v.toLocaleString('en-US');

/** The states in which an edition's numbers move by themselves: its page asks again only in these. */
const MOVING: ReadonlySet<EditionStatus> = new Set(['rendering', 'sending']);

/**
 * What moves on an edition's admin page while it is sent: its head line (status, started), whether
 * the relay throttles it, its deliveries per state, and Pause while there is something to pause.
 * The page renders it, and /admin/editions/:id/progress.json sends it again as it changes
 * (live-view.ts): one primary-key read (the caller's) and one count of the edition's deliveries.
 * What a reader may be typing into (Send a test) is outside it, so an update never touches it.
 */
export async function editionProgress(deps: WebDeps, request: FastifyRequest, e: Edition, head: SafeHtml): Promise<LiveView> {
  const c = await deliveryCounts(deps.db, e.id);
  // The relay's rate limit slows a send without failing anything: said here, or the page looks stuck.
  const throttles = e.status === 'sending' ? await currentThrottles(deps.db) : [];
  return {
    live: MOVING.has(e.status),
    parts: {
      'edition-head': head,
      'edition-progress': html`${throttles.length ? html`<div class="flash" role="status" id="throttled"><b>The relay is throttling this send</b> (its rate limit: slower, not failing; every refused message is sent again).<ul>${throttles.map((t) => html`<li>${describeThrottle(t)}</li>`)}</ul></div>` : ''}
<section class="cards" aria-label="Deliveries">
<div class="card"><b>${n(c.sent)}</b>sent (relay said 250)</div><div class="card"><b>${n(c.failed)}</b>failed</div>
<div class="card"><b>${n(c.retry)}</b>retrying</div><div class="card"><b>${n(c.queued + c.sending)}</b>waiting</div>
<div class="card"><b>${n(c.skipped)}</b>skipped (unsubscribed or suppressed at send time)</div><div class="card"><b>${n(c.uncertain)}</b>uncertain (resent once)</div>
</section>
${e.status === 'sending' ? html`<div class="row" style="margin-top:12px"><form method="post" action="/admin/editions/${e.id}/pause">${csrfField(request, deps)}<button type="submit" class="secondary">Pause</button></form></div>` : ''}`,
    },
  };
}
