import type { FastifyInstance } from 'fastify';

/**
 * The floor under every answer: `X-Content-Type-Options: nosniff` on all of them, and on an HTML page
 * that set no policy of its own, a CSP that allows what the plain pages here use (inline styles,
 * images and frames from this site, forms posting back here) and nothing else: no script, no
 * plugin, no framing by another site. Pages with needs of their own set their own CSP, which wins
 * (reader pages in pages/layout.ts, /editions, the admin, the catcher's message frame, the preview).
 */
export const DEFAULT_HTML_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export function securityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    if (!reply.hasHeader('x-content-type-options')) reply.header('x-content-type-options', 'nosniff');
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith('text/html') && !reply.hasHeader('content-security-policy'))
      reply.header('content-security-policy', DEFAULT_HTML_CSP);
    return payload;
  });
}
