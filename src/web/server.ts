import formbody from '@fastify/formbody';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { adminRoutes } from './admin/admin.routes.js';
import { assetsRoutes } from './assets.route.js';
import { bounceWebhookRoutes } from './bounce-webhooks.route.js';
import { bouncesRoutes } from './bounces.route.js';
import { clickRoutes } from './click.route.js';
import { demoRoutes } from './demo.route.js';
import { editionsRoutes } from './editions.route.js';
import { errorPages, frameworkErrors } from './error-pages.js';
import { healthRoutes } from './health.route.js';
import { metricsRoutes } from './metrics.route.js';
import { securityHeaders } from './security-headers.js';
import { storiesRoutes } from './stories.route.js';
import { subscriberRoutes } from './subscriber.routes.js';
import type { WebDeps } from './web-deps.js';

/** The HTTP app: public pages, the JSON API and the admin, registered per domain. */
export async function buildServer(deps: WebDeps): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    // Per-request lines would log readers' IPs and token URLs; routes log their own stable events.
    logController: new LogController({ disableRequestLogging: true }),
    // A hop count is supported at run time (lib/request.js) though the typings omit it.
    trustProxy: deps.config.trustProxy as boolean | string | string[],
    bodyLimit: 1024 * 1024,
    frameworkErrors: frameworkErrors(deps.config),
  });
  await app.register(formbody);
  securityHeaders(app);
  errorPages(app, deps.config);
  assetsRoutes(app);
  metricsRoutes(app, deps);
  healthRoutes(app, deps);
  storiesRoutes(app, deps);
  clickRoutes(app, deps);
  bouncesRoutes(app, deps);
  bounceWebhookRoutes(app, deps);
  editionsRoutes(app, deps);
  subscriberRoutes(app, deps);
  adminRoutes(app, deps);
  if (deps.demo) demoRoutes(app, deps);
  return app;
}
