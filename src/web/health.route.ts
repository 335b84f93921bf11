import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { packageInfo } from '../config/index.js';
import { DatabaseBusyError } from '../db/index.js';
import { currentThrottles, describeThrottle } from '../delivery/index.js';
import { adminOrAnonymous } from './admin/admin-session.js';
import { refuseCredential } from './admin/auth-failures.js';
import { schemaLevel, type SchemaLevel } from './schema-level.js';
import type { HealthCheck, WebDeps } from './web-deps.js';

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
 * process runs one, is alive; and its delivery workers have not paused on a failed relay); 503
 * otherwise. While the relay throttles a sending process (any process: relay_throttles), the status
 * is `degraded`, still 200: sending goes on, slower, and the smtp check says why (`sending:
 * throttled` and `degraded`, the reason). Anyone sees only the status and ok or not ok per component; the
 * details (engine, errors such as `connect ECONNREFUSED 127.0.0.1:2999`, the scheduler's leader and
 * last tick), the release and the schema's migration level are for the admin: a Bearer ADMIN_TOKEN
 * or an admin session. A stranger learns no version (which would tell them which advisories apply).
 * A wrong Bearer is refused and counted like anywhere else (it would otherwise be an unlimited way to
 * test guesses).
 */
export function healthRoutes(app: FastifyInstance, deps: WebDeps): void {
  let smtp: { at: number; result: HealthCheck } | undefined;
  // Read once, at start-up: the version this process runs, whatever is unpacked beside it later.
  const { version } = packageInfo();

  /** Asked afresh each time (schema-level.ts); skipped when the database did not answer its check. */
  async function schema(databaseOk: boolean): Promise<SchemaLevel | { error: string }> {
    if (!databaseOk) return { error: 'the database did not answer' };
    try {
      return await within(3000, schemaLevel(deps.db));
    } catch (err) {
      return { error: (err as Error).message };
    }
  }

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

  /**
   * The delivery workers' own view of the relay, where this process runs them: `sending: paused`
   * (and not ok) after a run of failures at the relay, until their probe gets through, whatever the
   * cached check above says.
   */
  function withSending(check: HealthCheck): HealthCheck {
    if (!deps.relay) return check;
    const r = deps.relay();
    if (r.up) return { ...check, sending: 'running' };
    return { ...check, ok: false, sending: 'paused', downSince: r.downSince, error: r.error };
  }

  /**
   * Whether the relay throttles a sending process now, this one or another (the one reading every
   * entry point shares: delivery/relay-throttle.repository.ts): degraded, not failing.
   */
  async function withThrottle(check: HealthCheck, databaseOk: boolean): Promise<HealthCheck> {
    if (!databaseOk) return check;
    const throttles = await within(3000, currentThrottles(deps.db)).catch(() => []);
    if (throttles.length === 0) return check;
    return {
      ...check,
      sending: check.sending === 'paused' ? 'paused' : 'throttled',
      degraded: `the relay throttles sending (its rate limit; slower, nothing failed): ${throttles.map(describeThrottle).join('; ')}`,
    };
  }

  app.get('/healthz', async (request, reply) => {
    const viewer = await adminOrAnonymous(deps, request);
    if (typeof viewer === 'object') return refuseCredential(reply, viewer);
    let database: HealthCheck;
    let retryAfter: number | undefined;
    try {
      await within(3000, sql`select 1`.execute(deps.db));
      database = { ok: true, engine: deps.engine };
    } catch (err) {
      database = { ok: false, engine: deps.engine, error: (err as Error).message };
      // Held by a client of DATA_DIR's socket: it ends by itself, by DB_SOCKET_HOLD_SECONDS at the latest.
      if (err instanceof DatabaseBusyError) retryAfter = err.retryAfterSeconds;
    }
    const checks: Record<string, HealthCheck> = { database };
    checks.smtp = await withThrottle(withSending(await smtpCheck()), database.ok);
    for (const [name, check] of Object.entries(deps.healthChecks ?? {})) {
      try {
        checks[name] = await within(3000, check());
      } catch (err) {
        checks[name] = { ok: false, error: (err as Error).message };
      }
    }
    const ok = Object.values(checks).every((c) => c.ok);
    const degraded = Object.values(checks).some((c) => typeof c.degraded === 'string');
    const status = !ok ? 'unhealthy' : degraded ? 'degraded' : 'ok';
    const body =
      viewer === 'admin'
        ? { status, version, schema: await schema(database.ok), engine: deps.engine, checks }
        : { status, checks: Object.fromEntries(Object.entries(checks).map(([name, c]) => [name, { ok: c.ok }])) };
    if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
    return reply
      .code(ok ? 200 : 503)
      .header('cache-control', 'no-store')
      .send(body);
  });
}
