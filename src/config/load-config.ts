import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Config, SigningKey } from './config.js';
import { ConfigError, type ConfigProblem } from './config-error.js';
import { envSchema } from './env.schema.js';
import { productionProblems } from './production-rules.js';
import { chooseLanguage } from './language.js';
import { availableLanguages, loadLocale } from './locale.js';
import { readOrCreateSecret } from './secret-file.js';
import { databaseIdentity, installId } from './install-id.js';
import { defaultListId } from './list-id.js';

export type EnvSource = Readonly<Record<string, string | undefined>>;

function signingKey(secret: string): SigningKey {
  const key = Buffer.from(secret, 'utf8');
  const id = createHash('sha256').update(key).digest('base64url').slice(0, 6);
  return { id, key };
}

/**
 * Parses and validates the environment into a frozen Config. Every bad value is reported at once,
 * one line each, naming the variable (never echoing a secret); with NODE_ENV=production, so is every
 * setting production cannot do without (production-rules.ts).
 */
export function loadConfig(env: EnvSource, options: { generateSecret?: boolean } = {}): Config {
  const parsed = envSchema.safeParse(env);
  const problems: ConfigProblem[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? ''), message: issue.message }));
  if (env.NODE_ENV?.trim() === 'production') {
    problems.push(...productionProblems(env).filter((p) => !problems.some((q) => q.variable === p.variable)));
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const language = chooseLanguage(e, availableLanguages());
  if (!language.ok) throw new ConfigError([language.problem]);
  const locale = loadLocale(language.choice.lang, { variable: language.choice.variable });
  // 'memory://' (tests, throw-away runs) keeps the embedded database and the catcher in memory.
  const dataDir = e.DATA_DIR.startsWith('memory://') ? e.DATA_DIR : resolve(e.DATA_DIR);
  let secret = e.SECRET;
  let secretSource: Config['secretSource'] = 'env';
  if (!secret) {
    if (options.generateSecret === false) {
      throw new ConfigError([{ variable: 'SECRET', message: 'SECRET is not set' }]);
    }
    try {
      const kept = readOrCreateSecret(dataDir);
      secret = kept.secret;
      secretSource = kept.created ? 'generated' : 'stored';
    } catch (err) {
      // DATA_DIR is a file, read-only or full: say so in one line rather than with a stack trace.
      const reason = (err as Error).message;
      throw new ConfigError([
        {
          variable: 'DATA_DIR',
          message: `DATA_DIR ${dataDir} cannot keep the generated SECRET (${reason}); make it a writable directory or set SECRET`,
        },
      ]);
    }
  }
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const config: Config = {
    dataDir,
    databaseUrl: e.DATABASE_URL,
    dbSocket: { holdSeconds: e.DB_SOCKET_HOLD_SECONDS },
    smtp: { url: e.SMTP_URL, maxConnections: e.SMTP_MAX_CONNECTIONS, ratePerSecond: e.SMTP_RATE },
    mailFrom: e.MAIL_FROM,
    dkim: dkimOf(e),
    publicUrl,
    host: e.HOST,
    trustProxy:
      e.TRUST_PROXY === 'false'
        ? false
        : e.TRUST_PROXY === 'true'
          ? true
          : /^\d+$/.test(e.TRUST_PROXY)
            ? Number(e.TRUST_PROXY)
            : e.TRUST_PROXY.split(','),
    port: e.PORT,
    keys: { current: signingKey(secret), previous: e.SECRET_PREVIOUS ? signingKey(e.SECRET_PREVIOUS) : undefined },
    secretSource,
    adminToken: e.ADMIN_TOKEN,
    digest: { cron: e.DIGEST_CRON.trim(), timeZone: e.DIGEST_TZ, cutoffHours: e.SEND_CUTOFF_HOURS },
    site: { name: e.SITE_NAME, postalAddress: e.POSTAL_ADDRESS, logoUrl: e.LOGO_URL },
    locale,
    email: {
      subjectTemplate: e.SUBJECT_TEMPLATE ?? locale.t('digest.subject_template'),
      listId: e.LIST_ID ?? defaultListId(e.SITE_NAME, publicUrl),
    },
    installId: installId(secret, databaseIdentity(e.DATABASE_URL, dataDir)),
    feeds: {
      urls: e.FEED_URLS.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      cron: e.FEED_CRON.trim(),
      allowPrivate: e.FEED_ALLOW_PRIVATE,
    },
    stories: { sourceOverride: e.STORY_SOURCE_OVERRIDE },
    sections: { topStories: e.TOP_STORIES, topBlogs: e.TOP_BLOGS },
    signup: {
      challenge: e.SIGNUP_CHALLENGE,
      perIpPerHour: e.SIGNUP_LIMIT_PER_IP,
      perAddressPerHour: e.SIGNUP_LIMIT_PER_ADDRESS,
      pendingExpiryDays: e.PENDING_EXPIRY_DAYS,
    },
    workers: e.WORKERS ?? Math.max(1, Math.min(4, availableParallelism())),
    delivery: {
      emptyDay: e.EMPTY_DAY,
      bounceAddress: e.BOUNCE_ADDRESS,
      inboundPort: e.SMTP_INBOUND_PORT,
      batchSize: e.DELIVERY_BATCH,
      leaseSeconds: e.DELIVERY_LEASE_SECONDS,
      retryBaseSeconds: e.RETRY_BASE_SECONDS,
      maxAttempts: e.RETRY_MAX_ATTEMPTS,
    },
    bounceWebhooks: {
      sesTopicArns: e.SES_SNS_TOPIC_ARNS,
      mailgunSigningKey: e.MAILGUN_WEBHOOK_SIGNING_KEY,
      postmark: postmarkOf(e),
      sendgridPublicKey: e.SENDGRID_WEBHOOK_PUBLIC_KEY,
    },
    clickTracking: e.CLICK_TRACKING,
    logLevel: e.LOG_LEVEL,
    production: e.NODE_ENV === 'production',
  };
  return deepFreeze(config);
}

/** DKIM needs all three settings; a key that is missing or not a PEM private key stops start-up. */
function dkimOf(e: {
  DKIM_DOMAIN?: string | undefined;
  DKIM_SELECTOR?: string | undefined;
  DKIM_PRIVATE_KEY_FILE?: string | undefined;
}): Config['dkim'] {
  const given = [e.DKIM_DOMAIN, e.DKIM_SELECTOR, e.DKIM_PRIVATE_KEY_FILE].filter(Boolean).length;
  if (given === 0) return undefined;
  if (given < 3) {
    throw new ConfigError([
      { variable: 'DKIM_DOMAIN', message: 'DKIM needs DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY_FILE together (or none of them)' },
    ]);
  }
  let privateKey: string;
  try {
    privateKey = readFileSync(e.DKIM_PRIVATE_KEY_FILE!, 'utf8');
  } catch (err) {
    throw new ConfigError([
      {
        variable: 'DKIM_PRIVATE_KEY_FILE',
        message: `DKIM_PRIVATE_KEY_FILE ${e.DKIM_PRIVATE_KEY_FILE} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      },
    ]);
  }
  if (!/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(privateKey)) {
    throw new ConfigError([
      { variable: 'DKIM_PRIVATE_KEY_FILE', message: `DKIM_PRIVATE_KEY_FILE ${e.DKIM_PRIVATE_KEY_FILE} is not a PEM private key` },
    ]);
  }
  return { domainName: e.DKIM_DOMAIN!.toLowerCase(), keySelector: e.DKIM_SELECTOR!, privateKey };
}

/** Postmark's webhook credentials: the user and the password together, or neither. */
function postmarkOf(e: {
  POSTMARK_WEBHOOK_USER?: string | undefined;
  POSTMARK_WEBHOOK_PASSWORD?: string | undefined;
}): Config['bounceWebhooks']['postmark'] {
  if (!e.POSTMARK_WEBHOOK_USER && !e.POSTMARK_WEBHOOK_PASSWORD) return undefined;
  if (!e.POSTMARK_WEBHOOK_USER || !e.POSTMARK_WEBHOOK_PASSWORD) {
    throw new ConfigError([
      {
        variable: 'POSTMARK_WEBHOOK_USER',
        message: 'the Postmark webhook needs POSTMARK_WEBHOOK_USER and POSTMARK_WEBHOOK_PASSWORD together (or neither)',
      },
    ]);
  }
  return { user: e.POSTMARK_WEBHOOK_USER, password: e.POSTMARK_WEBHOOK_PASSWORD };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Reads an optional .env file into process.env (variables already set win), then returns process.env. */
export function readEnvironment(envFile = '.env'): EnvSource {
  try {
    process.loadEnvFile(envFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return process.env;
}
