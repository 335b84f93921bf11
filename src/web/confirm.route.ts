import type { FastifyInstance } from 'fastify';
import { confirmSubscriber, preferencesUrl, unsuppress, verifyToken } from '../subscribers/index.js';
import { findByToken } from '../subscribers/preferences.repository.js';
import type { Subscriber } from '../db/index.js';
import { confirmedPage, confirmPage } from './pages/confirm.page.js';
import { usualSendTime } from './pages/send-time.js';
import { html, tHtml } from './pages/html.js';
import { sendPage } from './pages/layout.js';
import { messagePage } from './pages/signup.page.js';
import { badLinkPage, pathOf } from './reader-request.js';
import type { WebDeps } from './web-deps.js';

/**
 * GET /confirm/:token shows a button and changes nothing (mail scanners pre-fetch links); POST
 * /confirm/:token is the reader's click that makes the subscriber active.
 */
export function confirmRoutes(app: FastifyInstance, deps: WebDeps): void {
  const { config, db } = deps;
  const expired = (s: Subscriber) =>
    (s.confirmation_sent_at ?? s.created_at).getTime() < Date.now() - config.signup.pendingExpiryDays * 86_400_000;

  /** The page for a link whose subscriber is not (or no longer) pending. */
  const settled = (s: Subscriber | undefined) => {
    if (s?.status === 'active') return { status: 200, page: confirmedPage(config, pathOf(preferencesUrl(config, s)), true, usualSendTime(config, s.timezone, deps.clock())) };
    if (s?.status === 'pending' && expired(s)) {
      const l = config.locale;
      const signup = html`<a href="/">${l.t('confirm.expired_signup')}</a>`;
      return { status: 410, page: messagePage(config, l.t('link.expired.title'), [tHtml(l, 'confirm.expired', { signup })]) };
    }
    return undefined;
  };

  app.get<{ Params: { token: string } }>('/confirm/:token', async (request, reply) => {
    const v = verifyToken(config.keys, 'confirm', request.params.token);
    if (!v.ok) return badLinkPage(reply, config, 400, 'invalid');
    const s = await findByToken(db, v.subject);
    const done = settled(s);
    if (done) return sendPage(reply, done.status, done.page);
    if (!s || s.status !== 'pending') return badLinkPage(reply, config, 410, 'stale');
    return sendPage(reply, 200, confirmPage(config, request.params.token, s.email));
  });

  app.post<{ Params: { token: string } }>('/confirm/:token', async (request, reply) => {
    const v = verifyToken(config.keys, 'confirm', request.params.token);
    if (!v.ok) return badLinkPage(reply, config, 400, 'invalid');
    const result = await db.transaction().execute(async (trx) => {
      const r = await confirmSubscriber(trx, v.subject.subscriberId, v.subject.version, config.signup.pendingExpiryDays);
      // Confirming is signing up anew: an earlier bounce or erasure no longer holds.
      if (r.changed && r.email) await unsuppress(trx, r.email);
      return r;
    });
    const s = await findByToken(db, v.subject);
    if (result.changed && s) {
      request.log.info({ event: 'subscriber.confirmed', subscriberId: s.id }, 'subscriber confirmed');
      return sendPage(reply, 200, confirmedPage(config, pathOf(preferencesUrl(config, s)), false, usualSendTime(config, s.timezone, deps.clock())));
    }
    const done = settled(s);
    if (done) return sendPage(reply, done.status, done.page);
    return badLinkPage(reply, config, 410, 'stale');
  });
}
