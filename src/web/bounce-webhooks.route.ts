import { createPublicKey } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  fetchSnsHttp,
  receiveMailgunWebhook,
  receivePostmarkWebhook,
  receiveSendgridWebhook,
  receiveSesMessage,
  SENDGRID_SIGNATURE_HEADER,
  SENDGRID_TIMESTAMP_HEADER,
  SnsCertificates,
  type WebhookOutcome,
  type WebhookProvider,
} from '../delivery/index.js';
import { hitRateLimit, rateLimitHits } from '../subscribers/index.js';
import { AUTH_FAILURE_LIMIT, clientId } from './admin/auth-failures.js';
import type { WebDeps } from './web-deps.js';

/**
 * The providers' bounce webhooks, each at its own route and open only when its setting is:
 *   POST /api/bounces/ses       SES_SNS_TOPIC_ARNS            Amazon SES through SNS (signed by SNS)
 *   POST /api/bounces/mailgun   MAILGUN_WEBHOOK_SIGNING_KEY   HMAC-SHA256, timestamp, single-use token
 *   POST /api/bounces/postmark  POSTMARK_WEBHOOK_USER/_PASSWORD  basic auth in the webhook URL
 *   POST /api/bounces/sendgrid  SENDGRID_WEBHOOK_PUBLIC_KEY   ECDSA P-256 over timestamp + raw body
 * They take no ADMIN_TOKEN: the provider's signature (or Postmark's credentials) is the check, made by
 * the receivers in src/delivery/bounces/. In their own scope every body is kept raw (a Buffer), since
 * what is signed is the bytes as sent; each receiver parses JSON only once they verify.
 *
 * As with wrong admin tokens (admin/auth-failures.ts), refused requests are counted per client in the
 * shared rate_limits table, and a client with AUTH_FAILURE_LIMIT.max of them in the window is answered
 * 429 unread until it ends. Good requests are never counted, so a provider's bursts are never limited.
 */
export function bounceWebhookRoutes(app: FastifyInstance, deps: WebDeps): void {
  const settings = deps.config.bounceWebhooks;
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    const raw = (request: FastifyRequest) => (Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0));
    const base = { db: deps.db, log: deps.log, clock: deps.clock };

    if (settings.sesTopicArns.length > 0) {
      const http = deps.snsHttp ?? fetchSnsHttp;
      const ses = { ...base, topicArns: settings.sesTopicArns, http, certificates: new SnsCertificates(http, deps.clock) };
      scope.post('/api/bounces/ses', (request, reply) => answer(deps, request, reply, 'ses', () => receiveSesMessage(ses, raw(request))));
    }
    const mailgunKey = settings.mailgunSigningKey;
    if (mailgunKey) {
      const mailgun = { ...base, signingKey: mailgunKey };
      scope.post('/api/bounces/mailgun', (request, reply) =>
        answer(deps, request, reply, 'mailgun', () => receiveMailgunWebhook(mailgun, raw(request))),
      );
    }
    const credentials = settings.postmark;
    if (credentials) {
      const postmark = { ...base, credentials };
      scope.post('/api/bounces/postmark', (request, reply) =>
        answer(deps, request, reply, 'postmark', () => receivePostmarkWebhook(postmark, request.headers.authorization, raw(request))),
      );
    }
    if (settings.sendgridPublicKey) {
      const sendgrid = { ...base, publicKey: createPublicKey({ key: settings.sendgridPublicKey, format: 'der', type: 'spki' }) };
      // SendGrid batches events; a batch is well under this.
      scope.post('/api/bounces/sendgrid', { bodyLimit: 4 * 1024 * 1024 }, (request, reply) =>
        answer(deps, request, reply, 'sendgrid', () =>
          receiveSendgridWebhook(
            sendgrid,
            { signature: header(request, SENDGRID_SIGNATURE_HEADER), timestamp: header(request, SENDGRID_TIMESTAMP_HEADER) },
            raw(request),
          ),
        ),
      );
    }
  });
}

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Runs a receiver under the per-client refusal limit and answers: 200 with what was recorded; a
 * refusal with its status and one `bounce.webhook_refused` line (provider, why, the client keyed with
 * SECRET; never a signature, key or body); 503 (SNS unreachable for now) with
 * `bounce.webhook_unavailable` and not counted, since the provider did nothing wrong.
 */
async function answer(
  deps: WebDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  provider: WebhookProvider,
  receive: () => Promise<WebhookOutcome>,
): Promise<FastifyReply> {
  const key = `webhook:${request.ip}`;
  const client = clientId(deps.config.keys.current, request.ip);
  const before = await rateLimitHits(deps.db, key);
  if (before.hits >= AUTH_FAILURE_LIMIT.max) {
    const retryAfter = Math.max(1, Math.ceil(before.ttlMs / 1000));
    return reply
      .code(429)
      .header('retry-after', String(retryAfter))
      .send({ error: 'rate_limited', message: 'Too many refused webhook requests from this address: try again later.', retryAfter });
  }
  const outcome = await receive();
  if (outcome.ok) return reply.code(200).send({ recorded: outcome.recorded, ignored: outcome.ignored });
  if (outcome.status === 503) {
    request.log.warn(
      { event: 'bounce.webhook_unavailable', provider, why: outcome.why, detail: outcome.detail },
      'bounce webhook deferred',
    );
    return reply.code(503).header('retry-after', '60').send({ error: outcome.why, message: 'Try again later.' });
  }
  const after = await hitRateLimit(deps.db, key, AUTH_FAILURE_LIMIT.windowMs);
  request.log.warn(
    { event: 'bounce.webhook_refused', provider, why: outcome.why, detail: outcome.detail, client, failures: after.hits },
    'bounce webhook refused',
  );
  if (outcome.status === 401 && provider === 'postmark') reply.header('www-authenticate', 'Basic realm="bounces"');
  return reply.code(outcome.status).send({ error: 'webhook_refused', reason: outcome.why });
}
