import type { FastifyInstance } from 'fastify';
import { formatInstant } from '../../config/index.js';
import type { Story, StoryKind } from '../../db/index.js';
import { currentEditionDate, editionWindow, type EditionWindow } from '../../editions/index.js';
import { rankKind, type Ranked } from '../../ranking/index.js';
import { clicksForDate, findCandidates, overridesFor, setOverride } from '../../stories/index.js';
import { html } from '../pages/html.js';
import { requireAdmin } from './admin-session.js';
import type { WebDeps } from '../web-deps.js';
import { adminPage, csrfField, sendAdminPage } from './admin.layout.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Stories in the admin: a day's candidates in rank order with their score, what makes the edition,
 * and the editor's pin / exclude for that day (applied by the one pick the send also uses).
 */
export function storiesAdminRoutes(app: FastifyInstance, deps: WebDeps): void {
  const guard = { preHandler: requireAdmin(deps) };
  const { config, db } = deps;

  app.get<{ Querystring: { date?: string } }>('/admin/stories', guard, async (request, reply) => {
    const date = request.query.date && DATE.test(request.query.date) ? request.query.date : currentEditionDate(config, deps.clock());
    let window: EditionWindow;
    try {
      window = editionWindow(date, config.digest.cron, config.digest.timeZone);
    } catch (err) {
      return sendAdminPage(reply, 400, await adminPage(request, deps, 'Stories', html`<p class="bad">${(err as Error).message}</p>`));
    }
    const [candidates, choices, clicks] = await Promise.all([findCandidates(db, window), overridesFor(db, date), clicksForDate(db, date)]);
    const section = (kind: StoryKind, size: number, title: string) => {
      const ranked = rankKind(candidates, kind, window.end, Number.MAX_SAFE_INTEGER, choices);
      const excluded = candidates.filter((c) => c.kind === kind && choices.excluded.has(c.id));
      const row = (s: Story, r: Ranked<Story> | undefined) => {
        const state = choices.excluded.has(s.id) ? 'excluded' : r && r.rank <= size ? (r.pinned ? 'pinned, in' : 'in') : 'out';
        return html`<tr><td class="n" data-label="Rank">${r ? r.rank : '—'}</td><td class="n" data-label="Score">${r ? r.score.toFixed(3) : '—'}</td>
<td data-label="Story"><a href="${s.url}" rel="noreferrer noopener">${s.title}</a><br><span class="muted">${s.byline ?? ''} · ${formatInstant(s.published_at)}</span></td>
<td class="n" data-label="Votes">${s.votes}</td><td class="n" data-label="Comments">${s.comments}</td><td class="n" data-label="Clicks">${clicks.get(s.id) ?? 0}</td><td data-label="Edition">${state}</td>
<td data-label="Editor"><div class="row">${(['pin', 'exclude', null] as const).map((action) =>
          (action === 'pin' && choices.pinned.has(s.id)) ||
          (action === 'exclude' && choices.excluded.has(s.id)) ||
          (action === null && !choices.pinned.has(s.id) && !choices.excluded.has(s.id))
            ? ''
            : html`<form method="post" action="/admin/stories/${s.id}/override">${csrfField(request, deps)}<input type="hidden" name="date" value="${date}"><input type="hidden" name="action" value="${action ?? 'clear'}"><button type="submit" class="secondary">${action === null ? 'Clear' : action === 'pin' ? 'Pin' : 'Exclude'}</button></form>`,
        )}</div></td></tr>`;
      };
      return html`<h2>${title} <span class="muted">(the first ${size} go out)</span></h2>
<div class="scroll"><table><thead><tr><th class="n">Rank</th><th class="n">Score</th><th>Story</th><th class="n">Votes</th><th class="n">Comments</th><th class="n">Clicks</th><th>Edition</th><th>Editor</th></tr></thead>
<tbody>${ranked.length + excluded.length === 0 ? html`<tr><td colspan="8" class="muted">No candidates in this window.</td></tr>` : ''}${ranked.map((r) => row(r, r))}${excluded.map((s) => row(s, undefined))}</tbody></table></div>`;
    };
    const body = html`<form method="get" action="/admin/stories" class="row"><label for="date">Edition date</label><input id="date" name="date" type="date" value="${date}"><button type="submit">Show</button></form>
<p class="muted">Click tracking is ${config.clickTracking}${config.clickTracking === 'off' ? ' (CLICK_TRACKING): no clicks are counted' : ': clicks are counted per story and edition'}. Candidates published ${formatInstant(window.start)} – ${formatInstant(window.end)} (the 24 h before the ${window.slot} slot, ${config.digest.timeZone}); score = (votes + 2 × comments + 1) / (age in hours + 2)^1.5 at the send time.</p>
${section('story', config.sections.topStories, 'Top stories')}
${section('blog', config.sections.topBlogs, 'From the blogs')}`;
    return sendAdminPage(reply, 200, await adminPage(request, deps, 'Stories', body));
  });

  app.post<{ Params: { id: string }; Body: { date?: string; action?: string } }>(
    '/admin/stories/:id/override',
    guard,
    async (request, reply) => {
      const id = Number(request.params.id);
      const date = request.body?.date;
      const action = request.body?.action;
      if (!Number.isSafeInteger(id) || !date || !DATE.test(date) || !['pin', 'exclude', 'clear'].includes(action ?? '')) {
        return reply.code(400).send('bad request');
      }
      const story = await db.selectFrom('stories').select('id').where('id', '=', id).executeTakeFirst();
      if (!story) return reply.code(404).send('not found');
      await setOverride(db, date, id, action === 'clear' ? null : (action as 'pin' | 'exclude'));
      request.log.info({ event: 'admin.story_override', story: id, date, action }, 'editor changed a story for an edition');
      return reply.redirect(`/admin/stories?date=${date}`, 303);
    },
  );
}
