import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

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
 * preHandler for /api: `Authorization: Bearer $ADMIN_TOKEN`. With no ADMIN_TOKEN configured the API
 * is closed rather than open.
 */
export function requireAdminToken(adminToken: string | undefined) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!adminToken) {
      return reply.code(403).send({ error: 'api_closed', message: 'The API is closed: set ADMIN_TOKEN to open it.' });
    }
    const token = bearerToken(request);
    if (!token || !safeEqual(token, adminToken)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="daily-digest"')
        .send({ error: 'unauthorized', message: 'Send Authorization: Bearer <ADMIN_TOKEN>.' });
    }
  };
}
