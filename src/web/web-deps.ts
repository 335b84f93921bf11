import type { MailCatcher } from '../catcher/index.js';
import type { Clock, Config, Logger } from '../config/index.js';
import type { Db, Engine } from '../db/index.js';
import type { Mailer, RelayStatus, SnsHttp } from '../delivery/index.js';

/** One /healthz check's result. Here, not in health.route.ts, which imports WebDeps: no loop. */
export interface HealthCheck {
  readonly ok: boolean;
  readonly error?: string;
  /** Working, but not as it should (the relay throttles sending): /healthz says `degraded`, still 200. */
  readonly degraded?: string;
  readonly [detail: string]: unknown;
}

/** What the HTTP layer is given; it constructs no clients of its own. */
export interface WebDeps {
  readonly db: Db;
  readonly engine: Engine;
  readonly config: Config;
  readonly log: Logger;
  /** Where "now" comes from (config/clock.ts). */
  readonly clock: Clock;
  /** For transactional mail (confirmations, manage links); the morning send has its own workers. */
  readonly mailer: Mailer;
  /** The built-in mail catcher, when SMTP_URL is unset: its inbox page is mounted at /inbox. */
  readonly catcher?: MailCatcher | undefined;
  /** Demo mode (`digest demo`): the sample stories' pages and images are served. */
  readonly demo?: boolean;
  /** More /healthz checks from the composition root (the scheduler's state, say). */
  readonly healthChecks?: Readonly<Record<string, () => Promise<HealthCheck>>>;
  /** The delivery workers' view of the relay (digest_smtp_relay_up in /metrics). */
  readonly relay?: (() => RelayStatus) | undefined;
  /**
   * How POST /api/bounces/ses reaches Amazon SNS (signing certificates, subscription confirmations):
   * fetch() when unset; tests pass one that sends SNS's URLs to a loopback server.
   */
  readonly snsHttp?: SnsHttp | undefined;
}
