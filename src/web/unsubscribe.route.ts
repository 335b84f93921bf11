import type { FastifyInstance } from 'fastify';
import { preferencesPath, resubscribe, unsubscribe, type TokenSubject } from '../subscribers/index.js';
import { html, tHtml } from './pages/html.js';
import { sendPage } from './pages/layout.js';
import { messagePage } from './pages/signup.page.js';
import { reasonText, unsubscribedPage, unsubscribePage } from './pages/unsubscribe.page.js';
import { readerFromToken, tokenReader } from './reader-from-token.js';
import { bodyOf } from './reader-request.js';
import type { WebDeps } from './web-deps.js';

/**
 * The personal unsubscribe link of every email.
 * - GET /u/:token: a page with one button; changes nothing (mail-security scanners follow links).
 * - POST /u/:token: unsubscribes at once and answers 200, from that button or from a mail client's
 *   RFC 8058 one-click POST (`List-Unsubscribe=One-Click`, urlencoded or multipart). Repeating it is
 *   harmless; a `reason` (the after-page's question) is attached to the unsubscribe event.
 * - POST /u/:token/resubscribe: the after-page's undo.
 * A forged, truncated or altered token is a 400; a token of an earlier subscription (token_version
 * bumped by signing up again) or of an erased reader is a 410. Neither changes anything.
 */
export function unsubscribeRoutes(app: FastifyInstance, deps: WebDeps): void {
  const { config, db } = deps;
  const l = config.locale;
  const prefsFor = (s: { id: number; token_version: number }, subject: TokenSubject) => preferencesPath(config.keys, s, subject.editionId);
  const reader = readerFromToken(deps, 'unsubscribe');

  app.get<{ Params: { token: string } }>('/u/:token', { preHandler: reader }, async (request, reply) => {
    const { subscriber: s, subject } = tokenReader(request);
    return sendPage(
      reply,
      200,
      unsubscribePage(config, {
        token: request.params.token,
        email: s.email,
        preferencesUrl: prefsFor(s, subject),
        status: s.status,
        frequency: s.frequency,
      }),
    );
  });

  // The one-click POST in a scope of its own, which reads any body (oneClickBodies).
  void app.register(async (scope) => {
    oneClickBodies(scope);
    scope.post<{ Params: { token: string } }>('/u/:token', { preHandler: reader }, async (request, reply) => {
      const { subscriber: s, subject } = tokenReader(request);
      const body = bodyOf(request);
      const reason = reasonText(body);
      const result = await unsubscribe(db, s.id, { editionId: subject.editionId, reason, version: subject.version });
      if (result.changed) {
        const oneClick = body['List-Unsubscribe'] === 'One-Click';
        request.log.info({ event: 'subscriber.unsubscribed', subscriberId: s.id, editionId: subject.editionId, oneClick }, 'unsubscribed');
      }
      return sendPage(
        reply,
        200,
        unsubscribedPage(config, { token: request.params.token, preferencesUrl: prefsFor(s, subject), reasonSaved: reason !== null }),
      );
    });
  });

  app.post<{ Params: { token: string } }>('/u/:token/resubscribe', { preHandler: reader }, async (request, reply) => {
    const { subscriber: s, subject } = tokenReader(request);
    const r = await resubscribe(db, s.id, subject.version);
    if (r.changed) request.log.info({ event: 'subscriber.resubscribed', subscriberId: s.id }, 'resubscribed');
    if (r.changed || s.status === 'active') {
      return sendPage(
        reply,
        200,
        messagePage(config, l.t('resubscribed.title'), [
          l.t('resubscribed.lead'),
          html`<a href="${prefsFor(s, subject)}">${l.t('resubscribed.preferences')}</a>`,
        ]),
      );
    }
    const signup = html`<a href="/">${l.t('resubscribe_refused.signup')}</a>`;
    return sendPage(reply, 409, messagePage(config, l.t('resubscribe_refused.title'), [tHtml(l, 'resubscribe_refused.lead', { signup })]));
  });
}

/** The one-click body is never needed (the token is in the URL); this much of it is read at most. */
const ONE_CLICK_BODY_LIMIT = 64 * 1024;

/**
 * RFC 8058 asks the mail provider for a POST, and providers differ in what they send with it:
 * urlencoded, multipart, application/octet-stream, text/plain, JSON with an empty body, or no body
 * at all. This scope replaces every body parser with one that reads any type as text and keeps only
 * the form fields it may hold (`List-Unsubscribe=One-Click`, the after-page's `reason` code), so no
 * content type and no malformed body can turn an unsubscribe into a 415, a 400 or a 500. Rejected:
 * a catch-all beside the inherited parsers (a multipart body without a boundary still failed in
 * @fastify/multipart with a 500, an empty JSON body with a 400).
 */
function oneClickBodies(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: ONE_CLICK_BODY_LIMIT }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    done(null, formFields(text, request.headers['content-type'] ?? ''));
  });
}

/** Single-line fields of a urlencoded or multipart body, leniently: whatever cannot be read is left out. */
export function formFields(text: string, contentType: string): Record<string, string> {
  if (/^multipart\//i.test(contentType)) {
    const fields: Record<string, string> = {};
    for (const m of text.matchAll(/name="([^"\r\n]{1,100})"[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*?\r?\n([^\r\n]{0,4096})/g)) fields[m[1]!] = m[2]!;
    return fields;
  }
  return text.includes('=') ? Object.fromEntries(new URLSearchParams(text)) : {};
}
