import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { WebDeps } from './web-deps.js';

export interface HealthCheck {
  readonly ok: boolean;
  readonly error?: string;
  readonly [detail: string]: unknown;
}

function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s`)), ms).unref()),
  ]);
}

/** The relay is checked at most every 30 s: a health probe every few seconds must not hammer it. */
const SMTP_CHECK_TTL_MS = 30_000;

/**
 * GET /healthz: 200 when the database and the SMTP relay answer (and the scheduler, where this
 * process runs one, is alive); 503 naming what failed otherwise. No secrets in the answer.
 */
export function healthRoutes(app: FastifyInstance, deps: WebDeps): void {
  let smtp: { at: number; result: HealthCheck } | undefined;

  async function smtpCheck(): Promise<HealthCheck> {
    if (smtp && Date.now() - smtp.at < SMTP_CHECK_TTL_MS) return smtp.result;
    let result: HealthCheck;
    try {
      await within(5000, deps.mailer.verify());
      result = { ok: true, relay: deps.catcher ? 'built-in catcher' : 'SMTP_URL' };
    } catch (err) {
      result = { ok: false, error: (err as Error).message };
    }
    smtp = { at: Date.now(), result };
    return result;
  }

  app.get('/healthz', async (_request, reply) => {
    const checks: Record<string, HealthCheck> = {};
    try {
      await within(3000, sql`select 1`.execute(deps.db));
      checks.database = { ok: true, engine: deps.engine };
    } catch (err) {
      checks.database = { ok: false, engine: deps.engine, error: (err as Error).message };
    }
    checks.smtp = await smtpCheck();
    for (const [name, check] of Object.entries(deps.healthChecks ?? {})) {
      try {
        checks[name] = await within(3000, check());
      } catch (err) {
        checks[name] = { ok: false, error: (err as Error).message };
      }
    }
    const ok = Object.values(checks).every((c) => c.ok);
    return reply.code(ok ? 200 : 503).header('cache-control', 'no-store').send({ status: ok ? 'ok' : 'unhealthy', engine: deps.engine, checks });
  });
}
