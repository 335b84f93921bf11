import type { FastifyInstance } from 'fastify';
import { parsePreferences, savePreferences, unsubscribePath } from '../subscribers/index.js';
import { sendPage } from './pages/layout.js';
import { preferencesPage } from './pages/preferences.page.js';
import { canonicalZone } from './pages/time-zones.js';
import { readerFromToken, tokenReader } from './reader-from-token.js';
import { badLinkPage, bodyOf } from './reader-request.js';
import type { WebDeps } from './web-deps.js';

/** GET|POST /p/:token: the preference page reached from every email; the signed link is the login. */
export function preferencesRoutes(app: FastifyInstance, deps: WebDeps): void {
  const { config, db } = deps;
  // A bounced reader's address no longer takes mail: there is nothing left to prefer.
  const reader = readerFromToken(deps, 'preferences', (s) => s.status !== 'bounced');

  app.get<{ Params: { token: string }; Querystring: { fewer?: string } }>('/p/:token', { preHandler: reader }, async (request, reply) => {
    const { subscriber: s, subject } = tokenReader(request);
    return sendPage(
      reply,
      200,
      preferencesPage(config, {
        token: request.params.token,
        view: s,
        unsubscribeUrl: unsubscribePath(config.keys, s, subject.editionId),
        now: deps.clock(),
        fewer: request.query.fewer === '1',
      }),
      { scripts: true },
    );
  });

  app.post<{ Params: { token: string } }>('/p/:token', { preHandler: reader }, async (request, reply) => {
    const { subscriber: s, subject } = tokenReader(request);
    // The list offers IANA's names; a form from an older page (or a hand-made one) may send an old
    // name (Asia/Calcutta), stored as the zone's current name.
    const body = bodyOf(request);
    const zone = typeof body.timezone === 'string' ? canonicalZone(body.timezone) : body.timezone;
    const parsed = parsePreferences({ ...body, timezone: zone }, config.locale);
    const unsub = unsubscribePath(config.keys, s, subject.editionId);
    if (!parsed.ok) {
      return sendPage(
        reply,
        400,
        preferencesPage(config, { token: request.params.token, view: s, unsubscribeUrl: unsub, now: deps.clock(), errors: parsed.errors }),
        { scripts: true },
      );
    }
    const saved = await savePreferences(db, subject, parsed.value);
    if (!saved) return badLinkPage(reply, config, 410, 'stale');
    request.log.info({ event: 'subscriber.preferences_saved', subscriberId: s.id }, 'preferences saved');
    return sendPage(
      reply,
      200,
      preferencesPage(config, { token: request.params.token, view: saved, unsubscribeUrl: unsub, now: deps.clock(), saved: true }),
      { scripts: true },
    );
  });
}
