import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { judgeCredential, refuseCredential, type CredentialDeps } from './auth-failures.js';

/** Constant-time comparison of two secrets of any length (hashing first equalises the lengths). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

/** The Bearer token of a request, if any. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

/**
 * onRequest hook for /api and /metrics: `Authorization: Bearer $ADMIN_TOKEN`, checked before the body
 * is read (a preHandler runs after the parser, so a stranger's 16 MB batch was parsed only to be
 * refused). With no ADMIN_TOKEN configured the API is closed rather than open. A refused request
 * that still has a body to send gets `Connection: close`, so its body is not read to keep the
 * connection.
 */
export function requireAdminToken(deps: CredentialDeps & { readonly config: { readonly adminToken: string | undefined } }) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const adminToken = deps.config.adminToken;
    const token = bearerToken(request);
    const verdict =
      !adminToken || token === undefined ? undefined : await judgeCredential(deps, request, 'bearer', () => safeEqual(token, adminToken));
    if (verdict?.ok) return;
    if (hasBody(request)) reply.header('connection', 'close');
    if (!adminToken) return reply.code(403).send({ error: 'api_closed', message: 'The API is closed: set ADMIN_TOKEN to open it.' });
    return refuseCredential(reply, verdict ?? { ok: false, status: 401 });
  };
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
}
