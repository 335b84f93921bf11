import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { WebDeps } from './web-deps.js';

/** GET /healthz: 200 when the database answers, 503 (with what failed) when it does not. */
export function healthRoutes(app: FastifyInstance, deps: WebDeps): void {
  app.get('/healthz', async (_request, reply) => {
    const checks: Record<string, { ok: boolean; error?: string }> = {};
    try {
      await Promise.race([
        sql`select 1`.execute(deps.db),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timed out after 3 s')), 3000).unref()),
      ]);
      checks.database = { ok: true };
    } catch (err) {
      checks.database = { ok: false, error: (err as Error).message };
    }
    const ok = Object.values(checks).every((c) => c.ok);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unhealthy', engine: deps.engine, checks });
  });
}
