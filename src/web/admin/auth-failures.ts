import { createHmac } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SigningKey } from '../../config/index.js';
import type { Db } from '../../db/index.js';
import { hitRateLimit, rateLimitHits } from '../../subscribers/index.js';

/**
 * Guessing the admin token is slow and loud: every wrong credential (a Bearer token on /api,
 * /metrics, /admin, /inbox, /healthz; the token typed into /admin/login) is counted per client IP
 * (Fastify's request.ip, so TRUST_PROXY decides which hop is the client) in the shared rate_limits
 * table, so every instance on one PostgreSQL counts together. Once a client has
 * AUTH_FAILURE_LIMIT.max failures in the window, every credential it presents is answered 429
 * without being compared, right or wrong (a right guess must not stand out), until the window ends.
 * Other clients are not affected. Session cookies are not counted: they are signed with SECRET.
 *
 * Right tokens are not counted, so a script making many parallel calls is never limited. The price:
 * guesses sent concurrently before the first of them is counted are all judged, one burst per window
 * at most, as large as the connections an attacker holds (rejected: counting every attempt first
 * and taking the count back for right ones, which answered 429 to an importer's parallel batches).
 * Production's 32-character token makes such a burst worthless.
 */
export const AUTH_FAILURE_LIMIT = { max: 10, windowMs: 15 * 60_000 } as const;

export interface CredentialDeps {
  readonly db: Db;
  readonly config: { readonly keys: { readonly current: SigningKey } };
}

export type CredentialVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: 401 }
  | { readonly ok: false; readonly status: 429; readonly retryAfterSeconds: number };

/** How a client is named in the logs: keyed with SECRET, so the log does not hold its IP. */
export function clientId(key: SigningKey, ip: string): string {
  return createHmac('sha256', key.key).update(`client.${ip}`).digest('base64url').slice(0, 12);
}

/**
 * Judges one presented credential (`matches` compares it) under the per-client limit, and logs
 * `auth.failed` for each wrong one and `auth.limited` for the one that reaches the limit. The token
 * itself is never logged.
 */
export async function judgeCredential(
  deps: CredentialDeps,
  request: FastifyRequest,
  via: 'bearer' | 'login',
  matches: () => boolean,
): Promise<CredentialVerdict> {
  const key = `auth:${request.ip}`;
  const client = clientId(deps.config.keys.current, request.ip);
  const route = request.routeOptions.url ?? request.url;
  try {
    const before = await rateLimitHits(deps.db, key);
    if (before.hits >= AUTH_FAILURE_LIMIT.max)
      return { ok: false, status: 429, retryAfterSeconds: Math.max(1, Math.ceil(before.ttlMs / 1000)) };
    if (matches()) return { ok: true };
    const after = await hitRateLimit(deps.db, key, AUTH_FAILURE_LIMIT.windowMs);
    request.log.warn({ event: 'auth.failed', client, via, route, failures: after.hits }, 'wrong admin token');
    if (after.hits === AUTH_FAILURE_LIMIT.max) {
      const retryAfterSeconds = Math.max(1, Math.ceil(after.ttlMs / 1000));
      request.log.warn(
        { event: 'auth.limited', client, via, route, failures: after.hits, retryAfterSeconds },
        'too many wrong admin tokens from one client: refused until the window ends',
      );
    }
    return { ok: false, status: 401 };
  } catch (err) {
    // The database is down: judge without the limit rather than lock the operator out of /healthz's
    // details, the page that says why. Every route behind the token but /healthz needs the database.
    request.log.warn(
      { event: 'auth.limit_unavailable', client, route, err: (err as Error).message },
      'failed credentials cannot be counted',
    );
    if (matches()) return { ok: true };
    request.log.warn({ event: 'auth.failed', client, via, route }, 'wrong admin token');
    return { ok: false, status: 401 };
  }
}

/** The JSON answer to a refused credential (the API, /metrics, scripts). */
export function refuseCredential(reply: FastifyReply, verdict: Exclude<CredentialVerdict, { ok: true }>): FastifyReply {
  if (verdict.status === 429) {
    return reply.code(429).header('retry-after', String(verdict.retryAfterSeconds)).send({
      error: 'rate_limited',
      message: 'Too many wrong admin tokens from this address: try again later.',
      retryAfter: verdict.retryAfterSeconds,
    });
  }
  return reply
    .code(401)
    .header('www-authenticate', 'Bearer realm="daily-digest"')
    .send({ error: 'unauthorized', message: 'Send Authorization: Bearer <ADMIN_TOKEN>.' });
}
