import { createPublicKey } from 'node:crypto';
import { validate } from 'node-cron';
import { z } from 'zod';
import { parseAllowPrivate } from './allow-private.js';
import { cronProblem } from './cron-expression.js';
import { parseListId } from './list-id.js';
import { isTimeZone } from './time-zone.js';
import { urlProblem } from './url-setting.js';

/**
 * Every environment variable the service reads, with its default. The names are the public contract
 * (design.md, .env.example); messages name the variable and echo the value unless it is a secret.
 */
const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const opt = <T extends z.ZodType>(schema: T) => z.preprocess(emptyToUndefined, schema.optional());
const withDefault = <T extends z.ZodType>(schema: T, value: z.output<T>) => z.preprocess(emptyToUndefined, schema.default(value as never));

const int = (name: string, min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, { error: (i) => `${name} "${String(i.input)}" is not a whole number` })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { error: (i) => `${name} ${String(i.input)} is out of range (${min} to ${max})` });

/** URLs that may carry a password (DATABASE_URL, SMTP_URL) are never echoed back in a message (url-setting.ts). */
const url = (name: string, protocols: readonly string[], echo = false) =>
  z.string().superRefine((s, ctx) => {
    const problem = urlProblem(name, s, protocols);
    if (problem)
      ctx.addIssue({
        code: 'custom',
        message: echo ? `${name} "${s}" is not a ${protocols.map((p) => p.replace(':', '://')).join(' or ')} URL` : problem,
      });
  });

/** Our words for what is wrong (cron-expression.ts); node-cron, which runs the schedule, has the last say. */
const cron = (name: string) =>
  z.string().superRefine((s, ctx) => {
    const problem = cronProblem(s) ?? (validate(s.trim()) ? undefined : 'the scheduler cannot run it');
    if (problem) ctx.addIssue({ code: 'custom', message: `${name} "${s}" is not a cron expression: ${problem}` });
  });

const timeZone = (name: string) =>
  z.string().refine(isTimeZone, { error: (i) => `${name} "${String(i.input)}" is not an IANA time zone (e.g. Europe/London)` });

const secret = (name: string) => z.string().min(16, { error: `${name} must be at least 16 characters (use: openssl rand -hex 32)` });

/** SES_SNS_TOPIC_ARNS: comma-separated SNS topic ARNs (arn:aws:sns:<region>:<account>:<name>). */
const topicArns = (name: string) =>
  z.string().transform((s, ctx) => {
    const arns = s
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean);
    for (const arn of arns) {
      if (!/^arn:aws(-cn|-us-gov)?:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(arn))
        ctx.addIssue({
          code: 'custom',
          message: `${name} entry "${arn}" is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)`,
        });
    }
    return arns;
  });

/**
 * SENDGRID_WEBHOOK_PUBLIC_KEY: the Signed Event Webhook's verification key as SendGrid shows it
 * (base64 of the DER public key; a PEM block is taken too), read into DER. Only a P-256 key is SendGrid's.
 */
const p256PublicKey = (name: string) =>
  z.string().transform((s, ctx) => {
    try {
      const pem = s.includes('-----BEGIN');
      const key = pem
        ? createPublicKey(s.replace(/\\n/g, '\n'))
        : createPublicKey({ key: Buffer.from(s.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'spki' });
      if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('not P-256');
      return key.export({ format: 'der', type: 'spki' });
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: `${name} is not an ECDSA P-256 public key (base64, as SendGrid shows its verification key)`,
      });
      return z.NEVER;
    }
  });

/** A comma-separated list of story sources; feed URLs lose their fragment, as FEED_URLS entries do. */
const storySources = (name: string) =>
  z.string().transform((s, ctx) => {
    const out: string[] = [];
    for (const entry of s
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean)) {
      if (['*', 'api', 'file', 'demo'].includes(entry)) {
        out.push(entry);
        continue;
      }
      try {
        const u = new URL(entry);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
        u.hash = '';
        out.push(u.toString());
      } catch {
        ctx.addIssue({ code: 'custom', message: `${name} entry "${entry}" is not api, file, demo, * or a feed's http(s) URL` });
      }
    }
    return out;
  });

export const envSchema = z.object({
  DATABASE_URL: opt(url('DATABASE_URL', ['postgres:', 'postgresql:'])),
  DATA_DIR: withDefault(z.string(), './data'),
  // How long one client of the embedded database's socket in DATA_DIR may hold it (src/db/database-socket.ts).
  DB_SOCKET_HOLD_SECONDS: withDefault(int('DB_SOCKET_HOLD_SECONDS', 1, 3600), 60),
  SMTP_URL: opt(url('SMTP_URL', ['smtp:', 'smtps:'])),
  SMTP_MAX_CONNECTIONS: withDefault(int('SMTP_MAX_CONNECTIONS', 1, 100), 16),
  SMTP_RATE: opt(int('SMTP_RATE', 1, 1_000_000)),
  MAIL_FROM: withDefault(z.string().min(3), 'Daily Digest <digest@localhost>'),
  DKIM_DOMAIN: opt(
    z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, { error: (i) => `DKIM_DOMAIN "${String(i.input)}" is not a domain name` }),
  ),
  DKIM_SELECTOR: opt(z.string().regex(/^[a-z0-9._-]+$/i, { error: (i) => `DKIM_SELECTOR "${String(i.input)}" is not a DNS label` })),
  DKIM_PRIVATE_KEY_FILE: opt(z.string()),
  PUBLIC_URL: opt(url('PUBLIC_URL', ['http:', 'https:'], true)),
  // Production refuses an http:// PUBLIC_URL unless this says the readers' network is private (production-rules.ts).
  ALLOW_HTTP_PUBLIC_URL: withDefault(
    z.enum(['true', 'false'], { error: (i) => `ALLOW_HTTP_PUBLIC_URL "${String(i.input)}" must be true or false` }),
    'false',
  ),
  HOST: withDefault(z.string(), '127.0.0.1'),
  TRUST_PROXY: withDefault(
    z.string().regex(/^(false|true|\d{1,2}|[0-9a-fA-F:./]+(,[0-9a-fA-F:./]+)*)$/, {
      error: (i) =>
        `TRUST_PROXY "${String(i.input)}" must be false, true, a number of proxy hops, or proxy addresses (comma-separated IPs or CIDRs)`,
    }),
    'false',
  ),
  PORT: withDefault(int('PORT', 0, 65535), 3000),
  SECRET: opt(secret('SECRET')),
  SECRET_PREVIOUS: opt(secret('SECRET_PREVIOUS')),
  ADMIN_TOKEN: opt(z.string().min(12, { error: 'ADMIN_TOKEN must be at least 12 characters' })),
  DIGEST_CRON: withDefault(cron('DIGEST_CRON'), '0 6 * * *'),
  DIGEST_TZ: withDefault(timeZone('DIGEST_TZ'), 'UTC'),
  SEND_CUTOFF_HOURS: withDefault(int('SEND_CUTOFF_HOURS', 1, 23), 6),
  SITE_NAME: withDefault(z.string().min(1), 'Daily Digest'),
  POSTAL_ADDRESS: withDefault(z.string(), ''),
  // The List-Id header (list-id.ts): "Name <label.example.com>" or "label.example.com". Unset: SITE_NAME <digest.PUBLIC_URL host>.
  LIST_ID: opt(
    z.string().transform((s, ctx) => {
      const r = parseListId(s);
      if (r.ok) return r.listId;
      ctx.addIssue({ code: 'custom', message: r.problem });
      return z.NEVER;
    }),
  ),
  LOGO_URL: opt(url('LOGO_URL', ['https:', 'http:'], true)),
  // Unset: the locale's digest.subject_template (en: '{{headline}} · {{date}}').
  SUBJECT_TEMPLATE: opt(z.string().trim().min(1)),
  FEED_URLS: withDefault(z.string(), ''),
  FEED_CRON: withDefault(cron('FEED_CRON'), '*/30 * * * *'),
  // Feeds come only from public addresses; `true`, or host[:port] entries, let internal ones in (src/stories/address-policy.ts).
  FEED_ALLOW_PRIVATE: withDefault(z.string(), 'false').transform((s, ctx) => {
    const r = parseAllowPrivate(s);
    if (r.ok) return r.entries;
    ctx.addIssue({
      code: 'custom',
      message: `FEED_ALLOW_PRIVATE "${r.bad.join(',')}" must be true, false or comma-separated host or host:port entries`,
    });
    return z.NEVER;
  }),
  // Sources that may update stories another source created (src/stories/story-source.ts): api, file,
  // demo, a feed URL, or * for any. Unset: a story is changed only by the source that created it.
  STORY_SOURCE_OVERRIDE: withDefault(storySources('STORY_SOURCE_OVERRIDE'), []),
  TOP_STORIES: withDefault(int('TOP_STORIES', 0, 100), 10),
  TOP_BLOGS: withDefault(int('TOP_BLOGS', 0, 100), 5),
  SIGNUP_CHALLENGE: withDefault(
    z.enum(['off', 'arithmetic'], {
      error: (i) => `SIGNUP_CHALLENGE "${String(i.input)}" must be off or arithmetic`,
    }),
    'off',
  ),
  SIGNUP_LIMIT_PER_IP: withDefault(int('SIGNUP_LIMIT_PER_IP', 1, 1_000_000), 20),
  SIGNUP_LIMIT_PER_ADDRESS: withDefault(int('SIGNUP_LIMIT_PER_ADDRESS', 1, 1000), 5),
  PENDING_EXPIRY_DAYS: withDefault(int('PENDING_EXPIRY_DAYS', 1, 365), 7),
  WORKERS: opt(int('WORKERS', 0, 64)),
  EMPTY_DAY: withDefault(z.enum(['skip', 'note'], { error: (i) => `EMPTY_DAY "${String(i.input)}" must be skip or note` }), 'skip'),
  BOUNCE_ADDRESS: opt(
    z.string().regex(/^[^@\s+]+@[^@\s]+$/, {
      error: (i) => `BOUNCE_ADDRESS "${String(i.input)}" is not an address like bounces@example.com (no +)`,
    }),
  ),
  SMTP_INBOUND_PORT: opt(int('SMTP_INBOUND_PORT', 0, 65535)),
  // Providers' bounce webhooks (src/delivery/bounces/): each route answers only when its setting is set.
  SES_SNS_TOPIC_ARNS: withDefault(topicArns('SES_SNS_TOPIC_ARNS'), []),
  MAILGUN_WEBHOOK_SIGNING_KEY: opt(z.string().trim().min(16, { error: 'MAILGUN_WEBHOOK_SIGNING_KEY must be at least 16 characters' })),
  POSTMARK_WEBHOOK_USER: opt(
    z.string().regex(/^[^:\s]{1,100}$/, {
      error: (i) => `POSTMARK_WEBHOOK_USER "${String(i.input)}" must be 1 to 100 characters, no colon or space`,
    }),
  ),
  POSTMARK_WEBHOOK_PASSWORD: opt(secret('POSTMARK_WEBHOOK_PASSWORD')),
  SENDGRID_WEBHOOK_PUBLIC_KEY: opt(p256PublicKey('SENDGRID_WEBHOOK_PUBLIC_KEY')),
  DELIVERY_BATCH: withDefault(int('DELIVERY_BATCH', 1, 10_000), 500),
  DELIVERY_LEASE_SECONDS: withDefault(int('DELIVERY_LEASE_SECONDS', 1, 3600), 120),
  RETRY_BASE_SECONDS: withDefault(int('RETRY_BASE_SECONDS', 0, 3600), 60),
  RETRY_MAX_ATTEMPTS: withDefault(int('RETRY_MAX_ATTEMPTS', 1, 20), 6),
  CLICK_TRACKING: withDefault(
    z.enum(['off', 'aggregate', 'individual'], {
      error: (i) => `CLICK_TRACKING "${String(i.input)}" must be off, aggregate or individual`,
    }),
    'off',
  ),
  LOG_LEVEL: withDefault(
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: (i) => `LOG_LEVEL "${String(i.input)}" must be one of fatal, error, warn, info, debug, trace, silent`,
    }),
    'info',
  ),
  // Reader-facing language: DIGEST_LANG (must have a locale file) or else LANG's language part (language.ts).
  DIGEST_LANG: opt(z.string()),
  LANG: opt(z.string()),
  // A typo (prod, Production) must not start the zero-configuration mode silently: only these three, or unset.
  NODE_ENV: opt(
    z
      .string()
      .trim()
      .pipe(
        z.enum(['production', 'development', 'test'], {
          error: (i) => `NODE_ENV "${String(i.input)}" must be production, development or test (or unset)`,
        }),
      ),
  ),
});

export type Env = z.infer<typeof envSchema>;
