import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SigningKey } from '../../config/index.js';
import { bearerToken, safeEqual } from './admin-auth.js';
import { judgeCredential, refuseCredential, type CredentialDeps, type CredentialVerdict } from './auth-failures.js';

/**
 * Admin sessions without server state: the cookie is `<expiry>.<nonce>.<mac>`, signed with SECRET, set
 * HttpOnly and SameSite=Strict (so no other site can make the browser send it). Forms that change
 * something also carry a CSRF token derived from the session, and a cross-origin Origin header is
 * refused: defence in depth for browsers that ignore SameSite.
 */
export const SESSION_COOKIE = 'digest_admin';
const SESSION_HOURS = 12;

function mac(key: SigningKey, text: string): string {
  return createHmac('sha256', key.key).update(text).digest('base64url');
}

function equal(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

export function issueSession(key: SigningKey, now = Date.now()): string {
  const payload = `${(now + SESSION_HOURS * 3_600_000).toString(36)}.${randomBytes(12).toString('base64url')}`;
  return `${payload}.${mac(key, `admin-session.${payload}`)}`;
}

export function verifySession(
  keys: { current: SigningKey; previous?: SigningKey | undefined },
  value: string | undefined,
  now = Date.now(),
): boolean {
  if (!value || value.length > 200) return false;
  const parts = value.split('.');
  if (parts.length !== 3) return false;
  const payload = `${parts[0]}.${parts[1]}`;
  const ok = [keys.current, keys.previous].some((k) => k && equal(parts[2]!, mac(k, `admin-session.${payload}`)));
  return ok && parseInt(parts[0]!, 36) > now;
}

export function csrfToken(key: SigningKey, session: string): string {
  return mac(key, `csrf.${session}`).slice(0, 32);
}

export interface AdminAuthDeps extends CredentialDeps {
  readonly config: {
    readonly adminToken: string | undefined;
    readonly keys: { readonly current: SigningKey; readonly previous?: SigningKey | undefined };
    readonly publicUrl: string;
  };
}

/** The session cookie: parsed by @fastify/cookie in the admin scope, read from the header elsewhere (/healthz). */
export function sessionOf(request: FastifyRequest): string | undefined {
  const parsed = request.cookies as Record<string, string | undefined> | undefined;
  if (parsed) return parsed[SESSION_COOKIE];
  for (const pair of (request.headers.cookie ?? '').split(';')) {
    const [name, ...value] = pair.trim().split('=');
    if (name === SESSION_COOKIE) return value.join('=');
  }
  return undefined;
}

/**
 * Who is asking, for pages that show more to the admin (/healthz): 'admin' (right Bearer or a valid
 * session), 'anonymous' (no credential), or the refusal of a wrong Bearer, counted like any other.
 */
export async function adminOrAnonymous(
  deps: AdminAuthDeps,
  request: FastifyRequest,
): Promise<'admin' | 'anonymous' | Exclude<CredentialVerdict, { ok: true }>> {
  const adminToken = deps.config.adminToken;
  if (!adminToken) return 'anonymous';
  const bearer = bearerToken(request);
  if (bearer !== undefined) {
    const verdict = await judgeCredential(deps, request, 'bearer', () => safeEqual(bearer, adminToken));
    return verdict.ok ? 'admin' : verdict;
  }
  return verifySession(deps.config.keys, sessionOf(request)) ? 'admin' : 'anonymous';
}

/**
 * Whether the admin is looking, for what a page shows the admin only (the release in the admin's
 * footer): the right Bearer, or a valid session. It judges and counts nothing: requireAdmin and the
 * admin scope's Bearer hook have already refused and counted a wrong token before any page is made;
 * this only tells the public login page (and a closed admin) apart from a signed-in one.
 */
export function isAdminViewer(config: AdminAuthDeps['config'], request: FastifyRequest): boolean {
  const adminToken = config.adminToken;
  if (!adminToken) return false;
  const bearer = bearerToken(request);
  if (bearer !== undefined) return safeEqual(bearer, adminToken);
  return verifySession(config.keys, sessionOf(request));
}

function sameOrigin(request: FastifyRequest, publicUrl: string): boolean {
  const origin = request.headers.origin ?? request.headers.referer;
  if (!origin) return true; // non-browser clients send none; the cookie is SameSite=Strict anyway
  try {
    const o = new URL(origin);
    const host = request.headers.host;
    return o.host === host || o.origin === new URL(publicUrl).origin;
  } catch {
    return false;
  }
}

/**
 * preHandler for the admin and operator routes: a Bearer ADMIN_TOKEN (scripts, Prometheus), or a
 * session cookie from the login form (people). With a cookie, a request that changes something must
 * come from this origin and carry the CSRF token.
 */
export function requireAdmin(deps: AdminAuthDeps) {
  const options = deps.config;
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const adminToken = options.adminToken;
    if (!adminToken) {
      return reply.code(403).type('text/plain; charset=utf-8').send('The admin is closed: set ADMIN_TOKEN to open it.');
    }
    const bearer = bearerToken(request);
    if (bearer !== undefined) {
      const verdict = await judgeCredential(deps, request, 'bearer', () => safeEqual(bearer, adminToken));
      if (verdict.ok) return;
      return refuseCredential(reply, verdict);
    }
    const session = sessionOf(request);
    if (!verifySession(options.keys, session)) {
      if (request.method === 'GET' && (request.headers.accept ?? '').includes('text/html')) {
        return reply.redirect(`/admin/login?next=${encodeURIComponent(request.url)}`, 303);
      }
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="daily-digest"')
        .send({ error: 'unauthorized', message: 'Log in at /admin/login or send Authorization: Bearer <ADMIN_TOKEN>.' });
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const body = request.body as Record<string, unknown> | undefined;
      const given = (typeof body?._csrf === 'string' ? body._csrf : undefined) ?? (request.headers['x-csrf-token'] as string | undefined);
      if (!sameOrigin(request, options.publicUrl) || !given || !equal(given, csrfToken(options.keys.current, session!))) {
        request.log.warn({ event: 'admin.csrf_refused', url: request.url }, 'cross-site or token-less admin POST refused');
        return reply.code(403).type('text/plain; charset=utf-8').send('Refused: this form must be sent from the admin pages of this site.');
      }
    }
  };
}
