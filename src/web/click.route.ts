import type { FastifyInstance } from 'fastify';
import { recordClick, verifyStoryLink } from '../stories/index.js';
import type { WebDeps } from './web-deps.js';

/**
 * GET /c/:token — a tracked story link (CLICK_TRACKING on): one redirect to the story, one added to
 * the count. Links keep redirecting after tracking is turned off; they just stop counting. A link
 * that fails its signature is a 404, never an open redirect.
 */
export function clickRoutes(app: FastifyInstance, deps: WebDeps): void {
  app.get<{ Params: { token: string }; Querystring: { r?: string } }>('/c/:token', async (request, reply) => {
    const target = verifyStoryLink(deps.config.keys, request.params.token);
    const story = target.ok
      ? await deps.db.selectFrom('stories').select('url').where('id', '=', target.storyId).executeTakeFirst()
      : undefined;
    if (!target.ok || !story) {
      return reply
        .code(404)
        .type('text/plain; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(deps.config.locale.t('click.broken'));
    }
    // A failure to count must never cost the reader the story.
    await recordClick(deps.db, deps.config, target, request.query.r).catch((err: Error) =>
      request.log.warn({ event: 'click.record_failed', err: err.message }, 'click not counted'),
    );
    return reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').redirect(story.url, 302);
  });
}
