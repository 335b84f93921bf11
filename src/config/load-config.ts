import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Config, SigningKey } from './config.js';
import { ConfigError } from './config-error.js';
import { envSchema } from './env.schema.js';
import { readOrCreateSecret } from './secret-file.js';

export type EnvSource = Readonly<Record<string, string | undefined>>;

function signingKey(secret: string): SigningKey {
  const key = Buffer.from(secret, 'utf8');
  const id = createHash('sha256').update(key).digest('base64url').slice(0, 6);
  return { id, key };
}

/**
 * Parses and validates the environment into a frozen Config. Every bad value is reported at once,
 * one line each, naming the variable (never echoing a secret).
 */
export function loadConfig(env: EnvSource, options: { generateSecret?: boolean } = {}): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? ''), message: issue.message })),
    );
  }
  const e = parsed.data;
  // 'memory://' (tests, throw-away runs) keeps the embedded database and the catcher in memory.
  const dataDir = e.DATA_DIR.startsWith('memory://') ? e.DATA_DIR : resolve(e.DATA_DIR);
  let secret = e.SECRET;
  let secretGenerated = false;
  if (!secret) {
    if (options.generateSecret === false) {
      throw new ConfigError([{ variable: 'SECRET', message: 'SECRET is not set' }]);
    }
    secret = readOrCreateSecret(dataDir);
    secretGenerated = true;
  }
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const config: Config = {
    dataDir,
    databaseUrl: e.DATABASE_URL,
    smtp: { url: e.SMTP_URL, maxConnections: e.SMTP_MAX_CONNECTIONS, ratePerSecond: e.SMTP_RATE },
    mailFrom: e.MAIL_FROM,
    publicUrl,
    host: e.HOST,
    port: e.PORT,
    keys: { current: signingKey(secret), previous: e.SECRET_PREVIOUS ? signingKey(e.SECRET_PREVIOUS) : undefined },
    secretGenerated,
    adminToken: e.ADMIN_TOKEN,
    digest: { cron: e.DIGEST_CRON.trim(), timeZone: e.DIGEST_TZ, cutoffHours: e.SEND_CUTOFF_HOURS },
    site: { name: e.SITE_NAME, postalAddress: e.POSTAL_ADDRESS, logoUrl: e.LOGO_URL },
    email: { subjectTemplate: e.SUBJECT_TEMPLATE },
    feeds: {
      urls: e.FEED_URLS.split(',').map((s) => s.trim()).filter(Boolean),
      cron: e.FEED_CRON.trim(),
    },
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
    logLevel: e.LOG_LEVEL,
    production: e.NODE_ENV === 'production',
  };
  return deepFreeze(config);
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
