import type { FastifyInstance } from 'fastify';
import { confirmSubscriber, findByToken, isPendingExpired, preferencesPath, unsuppress } from '../subscribers/index.js';
import type { Subscriber } from '../db/index.js';
import { confirmedPage, confirmPage } from './pages/confirm.page.js';
import { usualSendTime } from './pages/send-time.js';
import { html, tHtml } from './pages/html.js';
import { sendPage } from './pages/layout.js';
import { messagePage } from './pages/signup.page.js';
import { readerFromToken, tokenReader } from './reader-from-token.js';
import { badLinkPage } from './reader-request.js';
import type { WebDeps } from './web-deps.js';

/**
 * GET /confirm/:token shows a button and changes nothing (mail scanners pre-fetch links); POST
 * /confirm/:token is the reader's click that makes the subscriber active.
 */
export function confirmRoutes(app: FastifyInstance, deps: WebDeps): void {
  const { config, db } = deps;
  /**
   * The page for a link whose subscriber is not (or no longer) pending. Whether a sign-up has expired
   * is the database's to say (the rule confirmSubscriber applies), not this server's clock.
   */
  const settled = async (s: Subscriber | undefined) => {
    if (s?.status === 'active')
      return {
        status: 200,
        page: confirmedPage(config, preferencesPath(config.keys, s), true, usualSendTime(config, s.timezone, deps.clock())),
      };
    if (s?.status === 'pending' && (await isPendingExpired(db, s.id, config.signup.pendingExpiryDays))) {
      const l = config.locale;
      const signup = html`<a href="/">${l.t('confirm.expired_signup')}</a>`;
      return { status: 410, page: messagePage(config, l.t('link.expired.title'), [tHtml(l, 'confirm.expired', { signup })]) };
    }
    return undefined;
  };

  const reader = readerFromToken(deps, 'confirm');

  app.get<{ Params: { token: string } }>('/confirm/:token', { preHandler: reader }, async (request, reply) => {
    const { subscriber: s } = tokenReader(request);
    const done = await settled(s);
    if (done) return sendPage(reply, done.status, done.page);
    if (s.status !== 'pending') return badLinkPage(reply, config, 410, 'stale');
    return sendPage(reply, 200, confirmPage(config, request.params.token, s.email));
  });

  app.post<{ Params: { token: string } }>('/confirm/:token', { preHandler: reader }, async (request, reply) => {
    const { subject } = tokenReader(request);
    const result = await db.transaction().execute(async (trx) => {
      const r = await confirmSubscriber(trx, subject.subscriberId, subject.version, config.signup.pendingExpiryDays);
      // Confirming is signing up anew: an earlier bounce or erasure no longer holds.
      if (r.changed && r.email) await unsuppress(trx, r.email);
      return r;
    });
    // Read again: the page shows the state after this click (or after a concurrent one).
    const s = await findByToken(db, subject);
    if (result.changed && s) {
      request.log.info({ event: 'subscriber.confirmed', subscriberId: s.id }, 'subscriber confirmed');
      return sendPage(
        reply,
        200,
        confirmedPage(config, preferencesPath(config.keys, s), false, usualSendTime(config, s.timezone, deps.clock())),
      );
    }
    const done = await settled(s);
    if (done) return sendPage(reply, done.status, done.page);
    return badLinkPage(reply, config, 410, 'stale');
  });
}
