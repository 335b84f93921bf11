import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { confirmRoutes } from './confirm.route.js';
import { formDataBodies } from './form-data.js';
import { preferencesRoutes } from './preferences.route.js';
import { signupRoutes } from './signup.route.js';
import { unsubscribeRoutes } from './unsubscribe.route.js';
import { postgresRateLimitStore } from './rate-limit.store.js';
import type { WebDeps } from './web-deps.js';

/**
 * Every reader-facing route, in one encapsulated scope so its body parsers and rate limiter stay
 * its own: multipart/form-data is parsed (mail providers send RFC 8058 one-click POSTs that way;
 * without a parser Fastify answers 415), and the rate limiter is applied per route, not globally.
 */
export function subscriberRoutes(app: FastifyInstance, deps: WebDeps): void {
  void app.register(async (scope) => {
    // A body cut short or malformed is the client's 400 (form-data.ts), never a 500.
    await formDataBodies(scope, { files: 0, fields: 30, fieldSize: 4096, parts: 30 });
    // On PostgreSQL the counts live in the database, so every instance behind a balancer shares them.
    await scope.register(rateLimit, {
      global: false,
      ...(deps.engine === 'postgres' ? { store: postgresRateLimitStore(deps.db, 'reader') } : {}),
    });
    // Filled by readerFromToken() on the routes behind a reader's link; declared once so every request has the same shape.
    scope.decorateRequest('tokenReader', undefined);
    signupRoutes(scope, deps);
    confirmRoutes(scope, deps);
    unsubscribeRoutes(scope, deps);
    preferencesRoutes(scope, deps);
  });
}
