import type { FastifyInstance } from 'fastify';
import { html } from '../pages/html.js';
import { safeEqual } from '../admin-auth.js';
import { issueSession, requireAdmin, SESSION_COOKIE } from '../admin-session.js';
import type { WebDeps } from '../web-deps.js';
import { adminPage, sendAdminPage } from './admin.layout.js';

/** Only same-site paths are followed after login (no open redirect to another site). */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/admin(\/|$|\?)/.test(next) ? next : '/admin';
}

export function loginRoutes(app: FastifyInstance, deps: WebDeps): void {
  const secure = deps.config.publicUrl.startsWith('https://');

  const form = (next: string, error?: string) => html`
${error ? html`<p class="bad" role="alert">${error}</p>` : ''}
<form method="post" action="/admin/login" class="card" style="max-width:420px">
<input type="hidden" name="next" value="${next}">
<p><label for="token">Admin token</label><br><input id="token" name="token" type="password" autocomplete="current-password" required style="width:100%"></p>
<p class="muted">The ADMIN_TOKEN of this service (printed at start-up when it generated one).</p>
<button type="submit">Log in</button></form>`;

  app.get<{ Querystring: { next?: string } }>('/admin/login', async (request, reply) =>
    sendAdminPage(reply, 200, adminPage(request, deps, 'Log in', form(safeNext(request.query.next)))),
  );

  app.post<{ Body: { token?: string; next?: string } }>(
    '/admin/login',
    { config: { rateLimit: { max: 10, timeWindow: '15 minutes' } } },
    async (request, reply) => {
      const token = deps.config.adminToken;
      const given = typeof request.body?.token === 'string' ? request.body.token : '';
      if (!token || !safeEqual(given, token)) {
        request.log.warn({ event: 'admin.login_failed', ip: request.ip }, 'admin login failed');
        return sendAdminPage(reply, 401, adminPage(request, deps, 'Log in', form(safeNext(request.body?.next), token ? 'That is not the admin token.' : 'The admin is closed: set ADMIN_TOKEN.')));
      }
      request.log.info({ event: 'admin.login' }, 'admin logged in');
      return reply
        .setCookie(SESSION_COOKIE, issueSession(deps.config.keys.current), { path: '/', httpOnly: true, sameSite: 'strict', secure, maxAge: 12 * 3600 })
        .redirect(safeNext(request.body?.next), 303);
    },
  );

  app.post('/admin/logout', { preHandler: requireAdmin(deps.config) }, async (request, reply) => {
    request.log.info({ event: 'admin.logout' }, 'admin logged out');
    return reply.clearCookie(SESSION_COOKIE, { path: '/' }).redirect('/admin/login', 303);
  });
}
