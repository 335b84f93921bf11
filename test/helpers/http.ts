import type { FastifyInstance } from 'fastify';
import type { Config } from '../../src/config/index.js';
import { silentLogger } from '../../src/config/index.js';
import type { OpenDatabase } from '../../src/db/index.js';
import { buildServer } from '../../src/web/index.js';

/** The real HTTP app listening on a loopback port: tests talk to it with fetch, as a browser or CMS would. */
export interface TestServer {
  readonly url: string;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

export async function startTestServer(database: OpenDatabase, config: Config): Promise<TestServer> {
  const app = await buildServer({ db: database.db, engine: database.engine, config, log: silentLogger });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: address, app, close: () => app.close() };
}
