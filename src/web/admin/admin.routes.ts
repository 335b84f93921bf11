import cookie from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import { adminPreviewRoutes } from './preview.route.js';
import { bearerToken, requireAdminToken } from './admin-auth.js';
import { requireAdmin } from './admin-session.js';
import { inboxRoutes } from './inbox.route.js';
import { ADMIN_CSP, ADMIN_LIVE_CSP, adminPage, csrfField, sendAdminPage } from './admin.layout.js';
import { LIVE_SCRIPT } from '../assets/live.script.js';
import { raw } from '../pages/html.js';
import type { WebDeps } from '../web-deps.js';
import { dashboardRoutes } from './dashboard.route.js';
import { editionsAdminRoutes } from './editions.route.js';
import { loginRoutes } from './login.route.js';
import { storiesAdminRoutes } from './stories.route.js';
import { subscribersAdminRoutes } from './subscribers.route.js';

/** The operator's pages (and the catcher's inbox), in one scope with its own cookie parser. Wrong tokens are limited in auth-failures.ts. */
export function adminRoutes(app: FastifyInstance, deps: WebDeps): void {
  void app.register(async (scope) => {
    await scope.register(cookie);
    // A Bearer token is judged before any body is read, as on /api: a stranger's form body is never
    // parsed to be refused. Session requests (no Authorization) go on to requireAdmin and its CSRF check.
    const bearerFirst = requireAdminToken(deps);
    scope.addHook('onRequest', async (request, reply) => {
      if (bearerToken(request) !== undefined) return bearerFirst(request, reply);
    });
    loginRoutes(scope, deps);
    adminPreviewRoutes(scope, deps);
    // The catcher's inbox holds every reader's confirm and unsubscribe links: operators only.
    if (deps.catcher) {
      inboxRoutes(
        scope,
        deps.catcher,
        requireAdmin(deps),
        (request) => csrfField(request, deps),
        async (request, reply, title, body, live = false) =>
          sendAdminPage(
            reply,
            reply.statusCode,
            await adminPage(request, deps, title, raw(body), live ? { script: LIVE_SCRIPT } : {}),
            live ? ADMIN_LIVE_CSP : ADMIN_CSP,
          ),
      );
    }
    dashboardRoutes(scope, deps);
    subscribersAdminRoutes(scope, deps);
    editionsAdminRoutes(scope, deps);
    storiesAdminRoutes(scope, deps);
  });
}
