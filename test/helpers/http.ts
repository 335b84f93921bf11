import type { FastifyInstance } from 'fastify';
import type { Config } from '../../src/config/index.js';
import { silentLogger } from '../../src/config/index.js';
import type { OpenDatabase } from '../../src/db/index.js';
import { createMailer, type Mailer } from '../../src/delivery/index.js';
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
  options: { smtpUrl?: string; mailer?: Mailer } = {},
): Promise<TestServer> {
  const mailer =
    options.mailer ?? createMailer({ url: options.smtpUrl ?? 'smtp://127.0.0.1:9', from: config.mailFrom, maxConnections: 1 });
  const app = await buildServer({ db: database.db, engine: database.engine, config, log: silentLogger, mailer });
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
