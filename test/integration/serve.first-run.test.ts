import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDigest, stopChild } from '../helpers/cli.js';

describe('first run with no configuration at all', () => {
  const dir = mkdtempSync(join(tmpdir(), 'digest-first-'));
  const data = join(dir, 'data');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the embedded database and a secret under ./data, prints where to go, and serves', async () => {
    // No DATA_DIR, no SECRET, no SMTP_URL: exactly `npm start` in a fresh clone (cwd decides ./data).
    const serve = await startDigest(['serve'], { PORT: '0' }, /listening on\s+(http:\/\/\S+)[\s\S]*health/, {
      cwd: dir,
      timeoutMs: 90_000,
    });
    try {
      const out = serve.output();
      expect(out).toMatch(/embedded database in .*data/);
      // PORT=0 picks a free port, and the printed addresses (and links in emails) use it.
      const port = new URL(serve.match[1]!).port;
      expect(out).toContain(`sign-up page  http://localhost:${port}/`);
      expect(out).toMatch(/mail inbox\s+http:\/\/localhost:\d+\/inbox/);
      expect(out).toMatch(/SECRET is not set/);
      expect(existsSync(join(data, 'pgdata'))).toBe(true);
      expect(statSync(join(data, 'secret')).mode & 0o077).toBe(0);
      // The data directory is the owner's alone, as PostgreSQL wants its own: other local users read nothing.
      expect(statSync(data).mode & 0o077).toBe(0);
      const token = /one-time token: (\S+) /.exec(out)?.[1];
      // The engine is a detail for the admin (anyone else sees only ok flags).
      const health = await fetch(`${serve.match[1]}/healthz`, { headers: { authorization: `Bearer ${token}` } });
      expect(health.status).toBe(200);
      expect(((await health.json()) as { engine: string }).engine).toBe('pglite');
      // The inbox is the operator's: closed without the printed one-time token, open with it.
      expect((await fetch(`${serve.match[1]}/inbox/messages.json`)).status).toBe(401);
      expect((await fetch(`${serve.match[1]}/inbox`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    } finally {
      expect(await stopChild(serve.child)).toBe(0);
    }
    expect(existsSync(join(data, 'digest.lock'))).toBe(false);
  });
});
