import type { FastifyInstance } from 'fastify';
import {
  API_SOURCE,
  describeOwnedElsewhere,
  describeProblem,
  logOwnedElsewhere,
  parseStoryBatch,
  upsertStories,
} from '../stories/index.js';
import type { WebDeps } from './web-deps.js';
import { requireAdminToken } from './admin/admin-auth.js';

/** At most this many stories in one POST; a CMS pushing more sends several requests. */
const MAX_BATCH = 5000;

/**
 * POST /api/stories: one story object or an array. Good items are stored even when others are bad;
 * the answer is 200 when all were good, 422 naming each bad item's field otherwise.
 */
export function storiesRoutes(app: FastifyInstance, deps: WebDeps): void {
  app.post('/api/stories', { onRequest: requireAdminToken(deps), bodyLimit: 16 * 1024 * 1024 }, async (request, reply) => {
    const body = request.body;
    if (body === undefined || body === null || typeof body !== 'object') {
      return reply.code(400).send({ error: 'invalid_body', message: 'Send a JSON story object or an array of them.' });
    }
    if (Array.isArray(body) && body.length > MAX_BATCH) {
      return reply.code(413).send({ error: 'batch_too_large', message: `At most ${MAX_BATCH} stories per request (got ${body.length}).` });
    }
    const { items, problems } = parseStoryBatch(body, { source: API_SOURCE });
    const result = await upsertStories(deps.db, items, { sourceOverride: deps.config.stories.sourceOverride });
    request.log.info(
      {
        event: 'stories.upserted',
        inserted: result.inserted,
        updated: result.updated,
        duplicates: result.duplicates,
        rejected: problems.length,
      },
      'stories received',
    );
    logOwnedElsewhere(request.log, result.ownedElsewhere);
    const payload = {
      inserted: result.inserted,
      updated: result.updated,
      duplicates: result.duplicates,
      // Stories another source created: left as they were (a duplicate is not an error: still 200).
      ownedElsewhere: result.ownedElsewhere.map((d) => ({ ...d, message: describeOwnedElsewhere(d) })),
      rejected: problems.length,
      errors: problems.map((p) => ({ ...p, message: describeProblem(p) })),
    };
    return reply.code(problems.length > 0 ? 422 : 200).send(payload);
  });
}
