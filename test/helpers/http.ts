import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import type { MailCatcher } from '../../src/catcher/index.js';
import type { Clock, Config, Logger } from '../../src/config/index.js';
import { silentLogger, systemClock } from '../../src/config/index.js';
import type { Engine, OpenDatabase } from '../../src/db/index.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { createMailer, type Mailer, type SnsHttp } from '../../src/delivery/index.js';
import { buildServer } from '../../src/web/index.js';

/** The real HTTP app listening on a loopback port: tests talk to it with fetch, as a browser or CMS would. */
export interface TestServer {
  readonly url: string;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

/**
 * `smtpUrl`: where transactional mail goes (a test SMTP sink); without it, mail goes nowhere reachable
 * and a test that expects mail fails.
 */
export async function startTestServer(
  database: OpenDatabase,
  config: Config,
  options: { smtpUrl?: string; mailer?: Mailer; clock?: Clock; log?: Logger; catcher?: MailCatcher; snsHttp?: SnsHttp } = {},
): Promise<TestServer> {
  const mailer = options.mailer ?? createMailer({ url: options.smtpUrl ?? 'smtp://127.0.0.1:9', from: config.mailFrom, maxConnections: 1 });
  const app = await buildServer({
    db: database.db,
    engine: database.engine,
    config,
    log: options.log ?? silentLogger,
    clock: options.clock ?? systemClock,
    mailer,
    catcher: options.catcher,
    snsHttp: options.snsHttp,
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: address,
    app,
    close: async () => {
      await app.close();
      mailer.close();
    },
  };
}

/**
 * A database and a listening server for a whole describe block, made in beforeAll and closed in
 * afterAll. Read `.t` and `.url` inside tests (they are set once beforeAll has run).
 */
export function useTestServer(
  engine: Engine,
  config: Config | (() => Config),
  options: { smtpUrl?: string | (() => string); poolSize?: number } = {},
): { readonly t: TestDatabase; readonly url: string; readonly server: TestServer } {
  let t: TestDatabase | undefined;
  let server: TestServer | undefined;
  beforeAll(async () => {
    t = await createTestDatabase(engine, options.poolSize ? { poolSize: options.poolSize } : {});
    const smtpUrl = typeof options.smtpUrl === 'function' ? options.smtpUrl() : options.smtpUrl;
    server = await startTestServer(t, typeof config === 'function' ? config() : config, smtpUrl ? { smtpUrl } : {});
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
  });
  return {
    get t() {
      return t!;
    },
    get url() {
      return server!.url;
    },
    get server() {
      return server!;
    },
  };
}
