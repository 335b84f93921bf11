import type { FastifyInstance } from 'fastify';
import { html } from '../pages/html.js';
import { safeEqual } from './admin-auth.js';
import { judgeCredential } from './auth-failures.js';
import { issueSession, requireAdmin, SESSION_COOKIE } from './admin-session.js';
import type { WebDeps } from '../web-deps.js';
import { adminPage, sendAdminPage } from './admin.layout.js';
import { safeReturnPath } from '../return-path.js';

/** After login, back to the page that was asked for (the inbox, an edition): only a path on this site (return-path.ts). */
const safeNext = (next: unknown): string => safeReturnPath(next, '/admin');

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
    sendAdminPage(reply, 200, await adminPage(request, deps, 'Log in', form(safeNext(request.query.next)))),
  );

  // Wrong tokens count toward the same per-client limit as wrong Bearer tokens (auth-failures.ts),
  // shared by every instance; it replaced a per-process limit on every login POST.
  app.post<{ Body: { token?: string; next?: string } }>('/admin/login', async (request, reply) => {
    const token = deps.config.adminToken;
    const given = typeof request.body?.token === 'string' ? request.body.token : '';
    const next = safeNext(request.body?.next);
    if (!token)
      return sendAdminPage(reply, 401, await adminPage(request, deps, 'Log in', form(next, 'The admin is closed: set ADMIN_TOKEN.')));
    const verdict = await judgeCredential(deps, request, 'login', () => safeEqual(given, token));
    if (!verdict.ok) {
      if (verdict.status === 429) {
        const minutes = Math.ceil(verdict.retryAfterSeconds / 60);
        reply.header('retry-after', String(verdict.retryAfterSeconds));
        return sendAdminPage(
          reply,
          429,
          await adminPage(
            request,
            deps,
            'Log in',
            form(next, `Too many wrong tokens from this address: try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`),
          ),
        );
      }
      return sendAdminPage(reply, 401, await adminPage(request, deps, 'Log in', form(next, 'That is not the admin token.')));
    }
    request.log.info({ event: 'admin.login' }, 'admin logged in');
    return reply
      .setCookie(SESSION_COOKIE, issueSession(deps.config.keys.current), {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure,
        maxAge: 12 * 3600,
      })
      .redirect(next, 303);
  });

  app.post('/admin/logout', { preHandler: requireAdmin(deps) }, async (request, reply) => {
    request.log.info({ event: 'admin.logout' }, 'admin logged out');
    return reply.clearCookie(SESSION_COOKIE, { path: '/' }).redirect('/admin/login', 303);
  });
}
