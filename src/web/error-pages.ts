import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/index.js';
import { DatabaseBusyError } from '../db/index.js';
import { errorPage } from './pages/error.page.js';
import { sendPage } from './pages/layout.js';

/**
 * How an unknown address (404) and a failed request (4xx, 500) are answered: a page in the site's
 * style for people, JSON for programs. JSON is for the API (/api/…) and for requests that are JSON
 * themselves (a JSON body, or Accept naming JSON and not HTML: the sign-up API, scripts); everything
 * else gets the page. /healthz and /metrics answer for themselves and are untouched.
 */
export function wantsJsonError(request: FastifyRequest): boolean {
  const path = request.url.split('?')[0]!;
  if (path === '/api' || path.startsWith('/api/')) return true;
  if ((request.headers['content-type'] ?? '').startsWith('application/json')) return true;
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

type HttpError = Error & { statusCode?: number; code?: string };

function sendError(
  config: Config,
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  busy = false,
): FastifyReply {
  return wantsJsonError(request)
    ? reply.code(status).send({ error: code, message })
    : sendPage(reply, status, errorPage(config, status, message, busy));
}

/**
 * Fastify's own refusals before routing (a URL it cannot decode, a malformed header), given to the
 * constructor's `frameworkErrors`: they bypass setErrorHandler and would otherwise be raw JSON.
 */
export function frameworkErrors(config: Config) {
  return (err: HttpError, request: FastifyRequest, reply: FastifyReply): void => {
    void sendError(
      config,
      request,
      reply,
      err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400,
      err.code ?? 'bad_request',
      err.message,
    );
  };
}

export function errorPages(app: FastifyInstance, config: Config): void {
  const send = (request: FastifyRequest, reply: FastifyReply, status: number, code: string, message: string, busy = false) =>
    sendError(config, request, reply, status, code, message, busy);

  app.setNotFoundHandler((request, reply) =>
    send(request, reply, 404, 'not_found', `No route ${request.method} ${request.url.split('?')[0]}`),
  );

  app.setErrorHandler((err: HttpError, request, reply) => {
    // A client of DATA_DIR's socket holds the embedded database (db/database-socket.ts): not a fault
    // of ours to hide, and one that ends by itself, so the answer says who and when to come back.
    if (err instanceof DatabaseBusyError) {
      reply.header('retry-after', String(err.retryAfterSeconds));
      return send(request, reply, 503, err.code, err.message, true);
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) request.log.error({ event: 'http.error', err }, 'request failed');
    // A 5xx says nothing of its cause to the client; a 4xx's message is Fastify's own (which body or header was wrong).
    return send(request, reply, status, err.code ?? 'error', status >= 500 ? 'Internal error' : err.message);
  });
}
