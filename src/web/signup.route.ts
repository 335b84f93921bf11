import type { FastifyInstance } from 'fastify';
import {
  cleanName,
  createChallenge,
  describeAddressProblem,
  parseEmailAddress,
  parseSections,
  requestManageLink,
  requestSignup,
  verifyChallenge,
} from '../subscribers/index.js';
import { sendPage } from './pages/layout.js';
import { checkInboxPage, embedPage, managePage, signupPage, type SignupFormState } from './pages/signup.page.js';
import { bodyOf, firstString, rateLimited, wantsJson } from './reader-request.js';
import type { WebDeps } from './web-deps.js';

const HOUR_MS = 60 * 60 * 1000;

/**
 * GET / (sign-up page), GET /embed (the bare form for article pages), POST /subscribe (form or
 * JSON), GET|POST /manage. Every accepted POST answers the same "check your inbox", whatever the
 * address's state; only syntax errors and rate limits answer differently, and neither depends on
 * who is subscribed.
 */
export function signupRoutes(app: FastifyInstance, deps: WebDeps): void {
  const { config } = deps;
  const hourly = (max: number, key?: (r: { body: unknown; ip: string }) => string) =>
    app.createRateLimit({ max, timeWindow: HOUR_MS, ...(key ? { keyGenerator: key } : {}) });
  const perIp = hourly(config.signup.perIpPerHour, (r) => `ip:${r.ip}`);
  const addressKey = (r: { body: unknown }) => {
    const email = firstString((r.body as Record<string, unknown> | undefined)?.email) ?? '';
    const parsed = parseEmailAddress(email);
    return `addr:${(parsed.ok ? parsed.email : email).toLowerCase()}`;
  };
  const perAddress = hourly(config.signup.perAddressPerHour, addressKey);
  const challenge = () => (config.signup.challenge === 'arithmetic' ? createChallenge(config.keys) : undefined);

  app.get('/', async (_request, reply) => sendPage(reply, 200, signupPage(config, { challenge: challenge() })));
  app.get('/embed', async (_request, reply) => sendPage(reply, 200, embedPage(config, { challenge: challenge() }), { frameable: true }));

  app.post('/subscribe', async (request, reply) => {
    const json = wantsJson(request);
    const body = bodyOf(request);
    const embedded = firstString(body.embed) === '1';
    const accepted = () =>
      json
        ? reply.code(200).send({ status: 'ok', message: config.locale.t('signup.accepted') })
        : sendPage(reply, 200, checkInboxPage(config, 'signup'), { frameable: embedded });
    const refuse = (state: SignupFormState, code: string) =>
      json
        ? reply.code(400).send({ error: code, message: state.error?.message })
        : sendPage(reply, 400, (embedded ? embedPage : signupPage)(config, { ...state, challenge: challenge() }), { frameable: embedded });

    if (await rateLimited(perIp, request, reply, config, 'ip')) return reply;
    // A bot filled the hidden field: answer as if accepted, do nothing.
    if (firstString(body.website)) {
      request.log.info({ event: 'signup.honeypot' }, 'honeypot filled');
      return accepted();
    }
    const rawEmail = firstString(body.email) ?? '';
    const name = cleanName(firstString(body.name));
    const sections = parseSections(body.sections);
    const form = { email: rawEmail.slice(0, 254), name: name ?? '', sections: sections ?? ['stories', 'blogs'] };
    const parsed = parseEmailAddress(rawEmail);
    if (!parsed.ok)
      return refuse(
        { ...form, error: { field: 'email', message: describeAddressProblem(parsed.problem, config.locale) } },
        'invalid_email',
      );
    if (await rateLimited(perAddress, request, reply, config, 'address')) return reply;
    if (
      config.signup.challenge === 'arithmetic' &&
      !verifyChallenge(config.keys, firstString(body.challenge_token), firstString(body.challenge))
    ) {
      return refuse({ ...form, error: { field: 'challenge', message: config.locale.t('signup.challenge_wrong') } }, 'challenge_failed');
    }
    const result = await requestSignup(deps, { email: parsed.email, name, sections });
    request.log.info({ event: 'signup.requested', outcome: result.outcome }, 'sign-up requested');
    return accepted();
  });

  app.get('/manage', async (_request, reply) => sendPage(reply, 200, managePage(config, {})));

  app.post('/manage', async (request, reply) => {
    const body = bodyOf(request);
    if (await rateLimited(perIp, request, reply, config, 'ip')) return reply;
    if (firstString(body.website)) return sendPage(reply, 200, checkInboxPage(config, 'manage'));
    const rawEmail = firstString(body.email) ?? '';
    const parsed = parseEmailAddress(rawEmail);
    if (!parsed.ok)
      return sendPage(
        reply,
        400,
        managePage(config, { email: rawEmail.slice(0, 254), error: describeAddressProblem(parsed.problem, config.locale) }),
      );
    if (await rateLimited(perAddress, request, reply, config, 'address')) return reply;
    const result = await requestManageLink(deps, parsed.email);
    request.log.info({ event: 'manage.requested', outcome: result.outcome }, 'manage link requested');
    return sendPage(reply, 200, checkInboxPage(config, 'manage'));
  });
}
