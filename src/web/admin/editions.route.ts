import type { FastifyInstance, FastifyRequest } from 'fastify';
import { countOf, formatInstant } from '../../config/index.js';
import type { Edition } from '../../db/index.js';
import { deliveryOverview } from '../../delivery/index.js';
import {
  currentDailySpec,
  dryRunEdition,
  editionFailures,
  editionsOfDateWithRows,
  findEdition,
  editionStories,
  pauseEdition,
  prepareEdition,
  resumeEdition,
  standingOf,
  type EditionSpec,
  type PrepareOutcome,
} from '../../editions/index.js';
import { parseIsoDate } from '../../ranking/index.js';
import { clicksForEdition } from '../../stories/index.js';
import { ALL_SECTIONS, editionPath, personalise, type RenderedEdition } from '../../render/index.js';
import { describeAddressProblem, parseEmailAddress } from '../../subscribers/index.js';
import { html, type SafeHtml } from '../pages/html.js';
import { requireAdmin } from './admin-session.js';
import type { WebDeps } from '../web-deps.js';
import { ADMIN_LIVE_CSP, adminPage, csrfField, sendAdminPage } from './admin.layout.js';
import { LIVE_SCRIPT } from '../assets/live.script.js';
import { editionProgress } from './edition-progress.js';
import { liveControl, sendLiveView } from './live-view.js';
import { describeSchedule } from './schedule-words.js';

const n = (v: number) => v.toLocaleString('en-US');
const hm = formatInstant;
const KINDS: Record<string, string> = { daily: 'daily', weekly: 'weekly', hourly: "readers' own hour" };

type SendMode = 'send' | 'retry' | 'late';

/**
 * Editions in the admin: the date's editions (editions specsFor: daily slots, weekly, readers' own
 * hours) each with where it stands and the one action that helps — Send now, Retry, Send late (after
 * a confirmation that shows how old the news is), Resume — then every edition with its counts, one
 * edition's numbers and stories, pause, resume, send a test. Every action is a CSRF-checked POST and
 * is logged.
 */
export function editionsAdminRoutes(app: FastifyInstance, deps: WebDeps): void {
  const guard = { preHandler: requireAdmin(deps) };
  const { config, db } = deps;

  const dateEditions = (date: string) => editionsOfDateWithRows(db, config, date);

  function actionForm(request: FastifyRequest, spec: EditionSpec, row: Edition | undefined, action: string): SafeHtml {
    const fields = html`${csrfField(request, deps)}<input type="hidden" name="date" value="${spec.date}"><input type="hidden" name="slot" value="${spec.slot}">`;
    switch (action) {
      case 'send':
        return html`<form method="post" action="/admin/editions/send-now">${fields}<button type="submit">Send now</button></form>`;
      case 'retry':
        return html`<form method="post" action="/admin/editions/send-now">${fields}<input type="hidden" name="mode" value="retry"><button type="submit">Retry</button></form>`;
      case 'late':
        return html`<a class="button" href="/admin/editions/late?date=${spec.date}&amp;slot=${encodeURIComponent(spec.slot)}">Send late…</a>`;
      case 'resume':
        return row
          ? html`<form method="post" action="/admin/editions/${row.id}/resume">${csrfField(request, deps)}<button type="submit">Resume</button></form>`
          : html``;
      default:
        return row ? html`<a href="/admin/editions/${row.id}">Open</a>` : html``;
    }
  }

  app.get<{ Querystring: { msg?: string; date?: string } }>('/admin/editions', guard, async (request, reply) => {
    const now = deps.clock();
    const date =
      request.query.date && parseIsoDate(request.query.date)
        ? request.query.date
        : (currentDailySpec(config, now)?.date ?? now.toISOString().slice(0, 10));
    const [overview, editions] = await Promise.all([deliveryOverview(db, 60), dateEditions(date)]);
    const body = html`
${request.query.msg ? html`<p class="flash" role="status">${request.query.msg}</p>` : ''}
<section class="card" aria-labelledby="send-heading">
<h2 id="send-heading" style="margin-top:0">Send</h2>
<form method="get" action="/admin/editions" class="row"><label for="date">Editions of</label><input id="date" name="date" type="date" value="${date}" required><button type="submit" class="secondary">Show</button></form>
<p class="muted">Editions go out ${describeSchedule(config.digest.cron, config.digest.timeZone)} (DIGEST_CRON, DIGEST_TZ). Each edition's stories are the 24 h before its send time (the weekly edition: 7 days); past its cutoff (${config.digest.cutoffHours} h after its send time) an edition is only sent late on purpose.</p>
<div class="scroll"><table><thead><tr><th>Edition</th><th>Kind</th><th>Send time</th><th>State</th><th>Why, and what helps</th><th></th></tr></thead><tbody>
${
  editions.length
    ? editions.map(({ spec, row }) => {
        const st = standingOf(config, spec, row, now);
        return html`<tr><td data-label="Edition">${row ? html`<a href="/admin/editions/${row.id}">${spec.date} ${spec.slot}</a>` : `${spec.date} ${spec.slot}`}</td><td data-label="Kind">${KINDS[spec.kind] ?? spec.kind}</td>
<td data-label="Send time">${hm(spec.sendAt)}</td><td data-label="State"><strong>${st.state}</strong></td><td data-label="Why">${st.reason}${st.state === 'empty' ? html` <a href="/admin/stories?date=${spec.date}">Stories</a>` : ''}</td><td>${actionForm(request, spec, row, st.action)}</td></tr>`;
      })
    : html`<tr><td colspan="6" class="muted">The schedule (${describeSchedule(config.digest.cron, config.digest.timeZone)}) sends nothing on ${date}.</td></tr>`
}</tbody></table></div></section>
<h2>All editions</h2>
<div class="scroll"><table><thead><tr><th>Edition</th><th>Kind</th><th>Status</th><th class="n">Sent</th><th class="n">Failed</th><th class="n">Retrying</th><th class="n">Waiting</th><th class="n">Total</th></tr></thead><tbody>
${
  overview.editions.length
    ? overview.editions.map(
        ({
          edition: e,
          counts: c,
        }) => html`<tr><td data-label="Edition"><a href="/admin/editions/${e.id}">${e.date} ${e.slot}</a></td><td data-label="Kind">${KINDS[e.kind] ?? e.kind}</td><td data-label="Status">${e.status}</td>
<td class="n" data-label="Sent">${n(c.sent)}</td><td class="n" data-label="Failed">${n(c.failed)}</td><td class="n" data-label="Retrying">${n(c.retry)}</td><td class="n" data-label="Waiting">${n(c.queued + c.sending)}</td><td class="n" data-label="Total">${n(c.total)}</td></tr>`,
      )
    : html`<tr><td colspan="8" class="muted">No edition yet.</td></tr>`
}</tbody></table></div>`;
    return sendAdminPage(reply, 200, await adminPage(request, deps, 'Editions', body));
  });

  /** "Send late": says how old the news is and who would get it, and asks. */
  app.get<{ Querystring: { date?: string; slot?: string } }>('/admin/editions/late', guard, async (request, reply) => {
    const found = await findSpec(request.query.date, request.query.slot);
    if (!found) return sendAdminPage(reply, 404, await adminPage(request, deps, 'Not found', html`<p>No such edition.</p>`));
    const { spec, row } = found;
    const now = deps.clock();
    const st = standingOf(config, spec, row, now);
    if (st.action !== 'late') {
      // Only an edition past its cutoff is sent late: one still sending, due, or paused is offered what helps it instead.
      const body = html`<section class="card">
<p><b>${spec.date} ${spec.slot}</b> (${KINDS[spec.kind] ?? spec.kind}) is <b>${st.state}</b>: a late send is only for an edition past its cutoff${row ? ` (${hm(row.cutoff_at)})` : ''}, so there is nothing to send late.${row?.status === 'sending' ? ' The readers it has not reached yet get it before its cutoff.' : ''}${st.reason ? ` ${st.reason}` : ''}</p>
<div class="row">${actionForm(request, spec, row, st.action)}<a href="/admin/editions?date=${spec.date}">Back</a></div></section>`;
      return sendAdminPage(reply, 200, await adminPage(request, deps, 'Nothing to send late', body));
    }
    const readers = (await dryRunEdition(db, config, spec)).recipients;
    const body = html`<section class="card">
<p><b>${spec.date} ${spec.slot}</b> (${KINDS[spec.kind] ?? spec.kind}) was due ${hm(spec.sendAt)}: <b>${st.state}</b>.</p>
<p>Its newest news is <b>${st.newsAgeHours} hours old</b> (its window closed ${hm(spec.windowEnd)}). About <b>${n(readers)}</b> readers would get it now${row?.status === 'expired' && row.html ? ' (those it had not reached yet)' : ''}, with a new cutoff ${config.digest.cutoffHours} h from now.</p>
<p class="muted">Expiry is automatic so that a late restart or a restored snapshot never mails old news. Sending late is your decision, and it is logged.</p>
<div class="row"><form method="post" action="/admin/editions/send-now">${csrfField(request, deps)}<input type="hidden" name="date" value="${spec.date}"><input type="hidden" name="slot" value="${spec.slot}"><input type="hidden" name="mode" value="late"><input type="hidden" name="confirm" value="yes"><button type="submit">Send it late</button></form>
<a href="/admin/editions?date=${spec.date}">Cancel</a></div></section>`;
    return sendAdminPage(reply, 200, await adminPage(request, deps, 'Send late?', body));
  });

  async function findSpec(date: string | undefined, slot: string | undefined) {
    if (!date || !parseIsoDate(date)) return undefined;
    const editions = await dateEditions(date);
    // No slot: the date's first daily edition (the form of earlier releases sent only the date).
    return slot ? editions.find((e) => e.spec.slot === slot) : editions.find((e) => e.spec.kind === 'daily');
  }

  app.get<{ Params: { id: string }; Querystring: { msg?: string } }>('/admin/editions/:id', guard, async (request, reply) => {
    const e = await findEdition(db, Number(request.params.id));
    if (!e) return sendAdminPage(reply, 404, await adminPage(request, deps, 'Not found', html`<p>No such edition.</p>`));
    const [progress, failures, stories, clicks] = await Promise.all([
      editionProgress(deps, request, e, headLine(e)),
      editionFailures(db, e.id),
      editionStories(db, e.story_ids),
      clicksForEdition(db, e.id),
    ]);
    const spec: EditionSpec = {
      date: e.date,
      slot: e.slot,
      kind: e.kind,
      sendAt: e.send_at,
      windowStart: e.window_start,
      windowEnd: e.window_end,
    };
    const st = standingOf(config, spec, e, deps.clock());
    const body = html`
${request.query.msg ? html`<p class="flash" role="status">${request.query.msg}</p>` : ''}
<p id="edition-head">${progress.parts['edition-head']}</p>
${e.error ? html`<pre class="card bad" style="white-space:pre-wrap">${e.error}</pre>` : ''}
<p>${e.subject ?? ''}</p>
<div id="edition-progress">${progress.parts['edition-progress']}</div>
<p>${liveControl(`/admin/editions/${e.id}/progress.json`, `/admin/editions/${e.id}`, progress)}</p>
<div class="row" style="margin-top:12px">
${st.action === 'retry' || st.action === 'late' || st.action === 'resume' ? actionForm(request, spec, e, st.action) : ''}
${e.html ? html`<form method="post" action="/admin/editions/${e.id}/test" class="row">${csrfField(request, deps)}<label for="to">Send a test to</label><input id="to" name="to" type="email" required placeholder="you@example.com"><button type="submit" class="secondary">Send test</button></form>` : ''}
</div>
${failures.length ? html`<h2>Why deliveries failed</h2><div class="scroll"><table><thead><tr><th>Reply</th><th class="n">Deliveries</th></tr></thead><tbody>${failures.map((f) => html`<tr><td data-label="Reply">${f.error}</td><td class="n" data-label="Deliveries">${n(f.count)}</td></tr>`)}</tbody></table></div>` : ''}
<h2>Stories</h2>
<ol>${stories.map((s) => html`<li><a href="${s.url}" rel="noreferrer noopener">${s.title}</a> <span class="muted">${s.kind} · ${countOf(s.votes, 'vote', 'votes')} · ${countOf(s.comments, 'comment', 'comments')}${config.clickTracking !== 'off' || clicks.size > 0 ? ` · ${countOf(clicks.get(s.id) ?? 0, 'click', 'clicks')}` : ''}</span></li>`)}</ol>`;
    return sendAdminPage(
      reply,
      200,
      await adminPage(request, deps, `Edition ${e.date} ${e.slot}`, body, { script: LIVE_SCRIPT }),
      ADMIN_LIVE_CSP,
    );
  });

  // The edition page's live twin (assets/live.script.ts asks every 2 s while it is sending and visible): 204 while nothing moved.
  app.get<{ Params: { id: string }; Querystring: { v?: unknown } }>('/admin/editions/:id/progress.json', guard, async (request, reply) => {
    const id = Number(request.params.id);
    const e = Number.isSafeInteger(id) ? await findEdition(db, id) : undefined;
    if (!e) return reply.code(404).send({ error: 'not_found' });
    const shown = typeof request.query.v === 'string' ? request.query.v : undefined;
    return sendLiveView(reply, shown, await editionProgress(deps, request, e, headLine(e)));
  });

  /** The page's head line: the edition, its status and times (it changes as the edition is sent). */
  function headLine(e: Edition): SafeHtml {
    return html`<b>${e.date} ${e.slot}</b> (${KINDS[e.kind] ?? e.kind}) · status <b>${e.status}</b> · send time ${hm(e.send_at)} · cutoff ${hm(e.cutoff_at)}${e.sent_late ? ' (sent late on purpose)' : ''}${e.started_at ? ` · started ${hm(e.started_at)}` : ''} · <a href="${editionPath(e.date, e.slot)}">view in browser</a>`;
  }

  app.post<{ Body: { date?: string; slot?: string; mode?: string; confirm?: string } }>(
    '/admin/editions/send-now',
    guard,
    async (request, reply) => {
      const b = request.body ?? {};
      const date = typeof b.date === 'string' ? b.date : undefined;
      const back = (msg: string, to = `/admin/editions${date && parseIsoDate(date) ? `?date=${date}&` : '?'}`) =>
        reply.redirect(`${to}msg=${encodeURIComponent(msg)}`, 303);
      if (!date || !parseIsoDate(date)) return back('Pick a date (YYYY-MM-DD).');
      const found = await findSpec(date, typeof b.slot === 'string' && b.slot ? b.slot : undefined);
      if (!found)
        return back(
          b.slot
            ? `There is no edition ${date} ${b.slot}.`
            : `The schedule (${describeSchedule(config.digest.cron, config.digest.timeZone)}) has no send slot on ${date}.`,
        );
      const mode: SendMode = b.mode === 'retry' || b.mode === 'late' ? b.mode : 'send';
      // A late send only after the confirmation page: a stray POST never mails old news.
      if (mode === 'late' && b.confirm !== 'yes')
        return reply.redirect(`/admin/editions/late?date=${date}&slot=${encodeURIComponent(found.spec.slot)}`, 303);
      const prepared = await prepareEdition({ db, config, log: deps.log }, found.spec, {
        now: deps.clock(),
        retry: mode !== 'send',
        late: mode === 'late',
      });
      request.log.info(
        { event: 'admin.send_now', edition: prepared.edition.id, date, slot: found.spec.slot, mode, outcome: prepared.outcome },
        'operator pressed send now',
      );
      const name = `Edition ${date} ${found.spec.slot}`;
      const messages: Record<PrepareOutcome, string> = {
        created: `${name} is sending to ${prepared.deliveriesCreated} readers.`,
        resumed:
          mode === 'late'
            ? `${name} is sending again, late, to the readers it had not reached.`
            : `${name} was already sending; nothing new was queued.`,
        not_late:
          prepared.edition.cutoff_at > deps.clock()
            ? `${name} is still sending, before its cutoff (${hm(prepared.edition.cutoff_at)}): a late send is only for an edition past its cutoff. Nothing changed; the readers it has not reached yet get it before then.`
            : `${name} reached its cutoff (${hm(prepared.edition.cutoff_at)}) while sending and is being stopped: nothing changed. Once it shows expired, "Send late" sends it to the readers it had not reached.`,
        already_sent: `${name} was already sent; nobody gets it twice.`,
        empty: `${name} has no stories in its window: nothing sent.${prepared.edition.send_at > deps.clock() ? ' It is picked again at its send time.' : ''}`,
        expired: `${name} is past its cutoff: not sent. "Send late" sends it anyway.`,
        failed: `${name} failed: ${prepared.edition.error ?? ''}`,
        paused: `${name} is paused: resume it to go on.`,
      };
      return back(messages[prepared.outcome], `/admin/editions/${prepared.edition.id}?`);
    },
  );

  for (const [action, change, verb] of [
    [
      'pause',
      pauseEdition,
      'Paused: every worker stops within a second; messages already with the relay finish, the rest wait for Resume.',
    ],
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
    const e = await findEdition(db, id);
    if (!e?.html || !e.text || !e.subject) return reply.code(404).send('not found');
    const address = parseEmailAddress(typeof request.body?.to === 'string' ? request.body.to : '');
    const back = (msg: string) => reply.redirect(`/admin/editions/${id}?msg=${encodeURIComponent(msg)}`, 303);
    if (!address.ok) return back(`Not sent: ${describeAddressProblem(address.problem)}`);
    // The stored render, with sample personal parts: the links show where readers' links go.
    const rendered: RenderedEdition = {
      date: e.date,
      sections: ALL_SECTIONS,
      subject: e.subject,
      preheader: '',
      html: e.html,
      text: e.text,
      storyIds: e.story_ids,
      viewUrl: `${config.publicUrl}${editionPath(e.date, e.slot)}`,
      linkHosts: [],
    };
    const parts = personalise(rendered, {
      name: 'Test reader',
      unsubscribeUrl: `${config.publicUrl}/u/test-link-only`,
      preferencesUrl: `${config.publicUrl}/p/test-link-only`,
    });
    await deps.mailer.send({ to: address.email, subject: `[Test] ${e.subject}`, html: parts.html, text: parts.text });
    request.log.info({ event: 'admin.test_sent', edition: id }, 'operator sent a test copy');
    return back(`Test sent to ${address.email}.`);
  });
}
