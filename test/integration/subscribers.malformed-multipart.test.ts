import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';
import { startTestServer, type TestServer } from '../helpers/http.js';
import { capturingLogger } from '../helpers/log.js';

/**
 * A multipart/form-data body that cannot be read (cut short, no boundary) is the client's mistake:
 * the reader routes answer 400 saying so, as a page or as JSON, never 500, and log no server error.
 * Sent as raw bytes over a socket to a listening server, as a broken client or a proxy that cut the
 * body would send them (fetch would only send well-formed bodies).
 */
describe.each(ENGINES)('a malformed multipart body to the reader routes on %s', (engine) => {
  let t: TestDatabase;
  let server: TestServer;
  const capture = capturingLogger();
  beforeAll(async () => {
    t = await createTestDatabase(engine);
    server = await startTestServer(t, testConfig(), { log: capture.log });
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
  });

  /** One HTTP/1.1 request written byte for byte; resolves with the status, the content type and the body. */
  function raw(path: string, headers: Record<string, string>, body: string): Promise<{ status: number; type: string; body: string }> {
    const { hostname, port } = new URL(server.url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname);
      let data = '';
      socket.setEncoding('utf8');
      socket.on('data', (c: string) => (data += c));
      socket.on('error', reject);
      socket.on('end', () => {
        const [head = '', ...rest] = data.split('\r\n\r\n');
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
        const type = /^content-type: *(.*)$/im.exec(head)?.[1] ?? '';
        resolve({ status, type, body: rest.join('\r\n\r\n') });
      });
      const length = Buffer.byteLength(body);
      const lines = Object.entries({ host: `${hostname}:${port}`, connection: 'close', 'content-length': String(length), ...headers });
      // Written, not ended: a client that half-closes may have its connection dropped before the answer.
      socket.write(`POST ${path} HTTP/1.1\r\n${lines.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body}`);
    });
  }

  const part = (name: string, value: string) => `--XyZ\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  // A request that failed on our side is logged as http.error (error-pages.ts); a 4xx is not.
  const serverErrors = () => capture.lines.filter((l) => l.event === 'http.error');

  it('answers a body cut off in the middle of a part with 400 and says the form could not be read', async () => {
    const truncated = `${part('name', 'Ada')}--XyZ\r\nContent-Disposition: form-data; name="email"\r\n\r\nada@exa`;
    const page = await raw('/subscribe', { 'content-type': 'multipart/form-data; boundary=XyZ' }, truncated);
    expect(page.status).toBe(400);
    expect(page.type).toMatch(/^text\/html/);
    expect(page.body).toContain('The form could not be read');

    const json = await raw('/subscribe', { 'content-type': 'multipart/form-data; boundary=XyZ', accept: 'application/json' }, truncated);
    expect(json.status).toBe(400);
    expect(JSON.parse(json.body)).toEqual({
      error: 'malformed_form',
      message: 'The form could not be read (multipart/form-data: Unexpected end of multipart data). Send it again.',
    });
    expect(await t.db.selectFrom('subscribers').select('id').where('email', '=', 'ada@example.com').execute()).toEqual([]);
  });

  it('answers a multipart body whose boundary is missing with 400, on every reader form', async () => {
    for (const path of ['/subscribe', '/manage']) {
      const res = await raw(path, { 'content-type': 'multipart/form-data', accept: 'application/json' }, part('email', 'x@example.com'));
      expect(res.status, path).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'malformed_form', message: expect.stringContaining('Boundary not found') });
    }
  });

  it('still takes a well-formed multipart sign-up, and keeps refusing a file with 413', async () => {
    const whole = `${part('email', 'grace@example.com')}${part('name', 'Grace')}--XyZ--\r\n`;
    const ok = await raw('/subscribe', { 'content-type': 'multipart/form-data; boundary=XyZ' }, whole);
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('Check your inbox');
    const row = await t.db.selectFrom('subscribers').select(['name', 'status']).where('email', '=', 'grace@example.com').executeTakeFirst();
    expect(row).toEqual({ name: 'Grace', status: 'pending' });

    const file = `--XyZ\r\nContent-Disposition: form-data; name="email"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XyZ--\r\n`;
    const refused = await raw('/subscribe', { 'content-type': 'multipart/form-data; boundary=XyZ', accept: 'application/json' }, file);
    expect(refused.status).toBe(413);
  });

  it('logged no failed request for any of them', () => {
    expect(serverErrors()).toEqual([]);
  });
});
