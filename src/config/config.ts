import type { HostEntry } from './allow-private.js';
import type { Locale } from './locale.js';
import type { ListId } from './list-id.js';

/** The one typed, frozen view of the settings. Nothing outside config/ reads process.env. */
export interface SigningKey {
  /** Short id carried in every token so a rotated SECRET still verifies old links. */
  readonly id: string;
  readonly key: Buffer;
}

export interface Config {
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  /**
   * DATA_DIR's socket, through which the CLI and psql reach the embedded database while serve runs:
   * how long one client may hold the database (DB_SOCKET_HOLD_SECONDS) before it is cut off and
   * rolled back. Its fixed limits are in src/db/socket-limits.ts.
   */
  readonly dbSocket: { readonly holdSeconds: number };
  readonly smtp: {
    readonly url: string | undefined;
    readonly maxConnections: number;
    readonly ratePerSecond: number | undefined;
  };
  readonly mailFrom: string;
  /** DKIM signing by nodemailer, when DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY_FILE are all set. */
  readonly dkim: { readonly domainName: string; readonly keySelector: string; readonly privateKey: string } | undefined;
  readonly publicUrl: string;
  readonly host: string;
  /**
   * Which X-Forwarded-For hops to believe (Fastify's trustProxy): false (default: the client is the
   * socket's peer), true, a hop count, or proxy addresses. Believing it from anyone would let a
   * client pick its own IP and walk around the per-IP rate limits.
   */
  readonly trustProxy: boolean | number | string[];
  readonly port: number;
  readonly keys: { readonly current: SigningKey; readonly previous: SigningKey | undefined };
  /**
   * Where SECRET came from: the environment, or with none set DATA_DIR/secret, `generated` by this
   * start (the first) or `stored` by an earlier one.
   */
  readonly secretSource: 'env' | 'generated' | 'stored';
  readonly adminToken: string | undefined;
  readonly digest: { readonly cron: string; readonly timeZone: string; readonly cutoffHours: number };
  readonly site: { readonly name: string; readonly postalAddress: string; readonly logoUrl: string | undefined };
  /** Reader-facing text (pages and emails): locales/<lang>.json, chosen by DIGEST_LANG or LANG. */
  readonly locale: Locale;
  /**
   * The digest email: SUBJECT_TEMPLATE ({{headline}}, {{date}}, {{isoDate}}, {{site}}, {{count}}),
   * and LIST_ID, the List-Id header (default SITE_NAME <digest.PUBLIC_URL host>).
   */
  readonly email: { readonly subjectTemplate: string; readonly listId: ListId };
  /** 16 hex characters from SECRET and the database (install-id.ts): in every Message-ID and Feedback-ID. */
  readonly installId: string;
  /** allowPrivate: hosts (FEED_ALLOW_PRIVATE) whose feeds may come from loopback or private addresses. */
  readonly feeds: { readonly urls: readonly string[]; readonly cron: string; readonly allowPrivate: readonly HostEntry[] | 'any' };
  /** Who may update a story another source created (STORY_SOURCE_OVERRIDE; src/stories/story-source.ts). */
  readonly stories: { readonly sourceOverride: readonly string[] };
  readonly sections: { readonly topStories: number; readonly topBlogs: number };
  /** Sign-up abuse controls: per-hour limits on POST /subscribe and /manage, the optional challenge. */
  readonly signup: {
    readonly challenge: 'off' | 'arithmetic';
    readonly perIpPerHour: number;
    readonly perAddressPerHour: number;
    readonly pendingExpiryDays: number;
  };
  readonly workers: number;
  /** The morning send: see src/delivery and README "Sending". */
  readonly delivery: {
    /** What an edition with no stories does: `skip` (nothing sent) or `note` (a "quiet day" email). */
    readonly emptyDay: 'skip' | 'note';
    /** VERP base (bounces@example.com → Return-Path bounces+<delivery id>@example.com); unset: MAIL_FROM. */
    readonly bounceAddress: string | undefined;
    /** Port of the inbound SMTP listener that takes DSNs for the VERP addresses; unset: none. */
    readonly inboundPort: number | undefined;
    readonly batchSize: number;
    readonly leaseSeconds: number;
    readonly retryBaseSeconds: number;
    readonly maxAttempts: number;
  };
  /**
   * Providers' bounce webhooks (src/delivery/bounces/, README "Bounces"); a route is open only when
   * its provider is configured. SES through SNS: the topics whose messages are read and whose
   * subscriptions are confirmed (none: off). Mailgun: the webhook signing key. Postmark: the basic
   * auth credentials in the webhook URL. SendGrid: the Signed Event Webhook's public key (DER).
   */
  readonly bounceWebhooks: {
    readonly sesTopicArns: readonly string[];
    readonly mailgunSigningKey: string | undefined;
    readonly postmark: { readonly user: string; readonly password: string } | undefined;
    readonly sendgridPublicKey: Buffer | undefined;
  };
  /**
   * Click tracking, off by default. `aggregate`: story links go through a signed redirect and are
   * counted per story and edition, never per reader. `individual`: the reader is recorded too.
   */
  readonly clickTracking: 'off' | 'aggregate' | 'individual';
  readonly logLevel: string;
  readonly production: boolean;
}
