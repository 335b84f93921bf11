import { createHmac } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SigningKey } from '../config/index.js';
import type { Db } from '../db/index.js';
import { hitRateLimit, releaseRateLimit } from '../subscribers/index.js';

/**
 * Guessing the admin token is slow and loud: every presented credential (a Bearer token on /api,
 * /metrics, /admin, /inbox, /healthz; the token typed into /admin/login) is counted per client IP
 * (Fastify's request.ip, so TRUST_PROXY decides which hop is the client) in the shared rate_limits
 * table, so every instance on one PostgreSQL counts together. A right one takes its count back, so
 * only failures remain: after AUTH_FAILURE_LIMIT.max of them in the window, every credential from
 * that client is answered 429 without being compared, right or wrong, until the window ends.
 *
 * Counted before it is judged, not after: judging first let a burst of concurrent guesses all pass a
 * limit that none of them had reached yet. Session cookies are not counted: they are signed with
 * SECRET, and nothing about them can be guessed.
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
 * `auth.failed` for each wrong one and `auth.limited` for the first refusal of a window. The token
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
  let counted: { hits: number; ttlMs: number };
  try {
    counted = await hitRateLimit(deps.db, key, AUTH_FAILURE_LIMIT.windowMs);
  } catch (err) {
    // The database is down: judge without the limit rather than lock the operator out of /healthz's
    // details, the page that says why. Every route behind the token but /healthz needs the database.
    request.log.warn({ event: 'auth.limit_unavailable', client, route, err: (err as Error).message }, 'failed credentials cannot be counted');
    if (matches()) return { ok: true };
    request.log.warn({ event: 'auth.failed', client, via, route }, 'wrong admin token');
    return { ok: false, status: 401 };
  }
  if (counted.hits > AUTH_FAILURE_LIMIT.max) {
    const retryAfterSeconds = Math.max(1, Math.ceil(counted.ttlMs / 1000));
    if (counted.hits === AUTH_FAILURE_LIMIT.max + 1) {
      request.log.warn({ event: 'auth.limited', client, via, route, failures: AUTH_FAILURE_LIMIT.max, retryAfterSeconds }, 'too many wrong admin tokens from one client: refused until the window ends');
    }
    return { ok: false, status: 429, retryAfterSeconds };
  }
  if (matches()) {
    await releaseRateLimit(deps.db, key);
    return { ok: true };
  }
  request.log.warn({ event: 'auth.failed', client, via, route, failures: counted.hits }, 'wrong admin token');
  return { ok: false, status: 401 };
}

/** The JSON answer to a refused credential (the API, /metrics, scripts). */
export function refuseCredential(reply: FastifyReply, verdict: Exclude<CredentialVerdict, { ok: true }>): FastifyReply {
  if (verdict.status === 429) {
    return reply
      .code(429)
      .header('retry-after', String(verdict.retryAfterSeconds))
      .send({ error: 'rate_limited', message: 'Too many wrong admin tokens from this address: try again later.', retryAfter: verdict.retryAfterSeconds });
  }
  return reply
    .code(401)
    .header('www-authenticate', 'Bearer realm="daily-digest"')
    .send({ error: 'unauthorized', message: 'Send Authorization: Bearer <ADMIN_TOKEN>.' });
}
