import type {} from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/index.js';
import { html, tHtml } from './pages/html.js';
import { sendPage } from './pages/layout.js';
import { messagePage } from './pages/signup.page.js';

/** Helpers shared by the reader-facing routes (sign-up, confirm, unsubscribe, preferences). */

/** The parsed body of a form (urlencoded or multipart) or JSON request, as a plain record. */
export function bodyOf(request: FastifyRequest): Record<string, unknown> {
  const b = request.body;
  return b && typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, unknown>) : {};
}

/** A JSON client (the sign-up API) rather than a browser form. */
export function wantsJson(request: FastifyRequest): boolean {
  const type = request.headers['content-type'] ?? '';
  return type.startsWith('application/json');
}

export function firstString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

/**
 * Applies one of the sign-up rate limits; when exceeded, answers 429 with Retry-After (HTML or JSON)
 * and returns true. On PostgreSQL the counts are shared by every instance (rate-limit.store.ts); on
 * the embedded engine, one process, they are kept in memory.
 */
export async function rateLimited(
  limiter: Limiter,
  request: FastifyRequest,
  reply: FastifyReply,
  config: Config,
  what: string,
): Promise<boolean> {
  const r = await limiter(request);
  if (r.isAllowed || !r.isExceeded) return false;
  const retryAfter = Math.max(1, r.ttlInSeconds);
  request.log.warn({ event: 'signup.rate_limited', limit: what }, 'rate limit reached');
  reply.header('retry-after', String(retryAfter));
  const l = config.locale;
  if (wantsJson(request)) {
    reply.code(429).send({ error: 'rate_limited', message: l.t('rate_limit.api'), retryAfter });
    return true;
  }
  const minutes = Math.ceil(retryAfter / 60);
  sendPage(reply, 429, messagePage(config, l.t('rate_limit.title'), [l.t('rate_limit.retry', { count: minutes })]));
  return true;
}

/** The page for a link that fails verification: a 4xx, and nothing changed. */
export function badLinkPage(reply: FastifyReply, config: Config, status: 400 | 404 | 410, kind: 'invalid' | 'stale'): FastifyReply {
  const l = config.locale;
  const manage = html`<a href="/manage">${l.t('link.fresh.manage')}</a>`;
  const signup = html`<a href="/">${l.t('link.fresh.signup')}</a>`;
  return sendPage(
    reply,
    status,
    messagePage(config, kind === 'invalid' ? l.t('link.invalid.title') : l.t('link.expired.title'), [
      kind === 'invalid' ? l.t('link.invalid') : l.t('link.stale'),
      tHtml(l, 'link.fresh', { manage, signup }),
    ]),
  );
}
