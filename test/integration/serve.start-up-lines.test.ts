import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDigest, startDigest, stopChild } from '../helpers/cli.js';

const READY = /listening on\s+(http:\/\/\S+)[\s\S]*health/;

/** The output once it matches `pattern` (log lines are flushed after the banner), waiting at most 10 s. */
async function outputMatching(output: () => string, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 10_000;
  while (!pattern.test(output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return output();
}

/**
 * What `digest serve` says as it starts, with no SECRET set: that it generated one, on the first start
 * only; that it uses the stored one on later starts; nothing about it when the start is refused. And a
 * NODE_ENV typo refuses to start rather than run the zero-configuration mode unnoticed.
 */
describe('digest serve start-up lines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'digest-startup-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('says the SECRET was generated on the first start only, that it is reused on the next, and nothing of it on a refused start', async () => {
    const data = join(dir, 'data');
    // No SECRET, no DATA_DIR: `npm start` in a fresh clone; info level, where the reuse is said.
    const env = { PORT: '0', LOG_LEVEL: 'info' };

    const first = await startDigest(['serve'], env, READY, { cwd: dir, timeoutMs: 120_000 });
    const generated = /SECRET is not set: generated one and kept it in \S+\/data\/secret/;
    const firstOutput = await outputMatching(first.output, generated);
    expect(await stopChild(first.child)).toBe(0);
    const secret = readFileSync(join(data, 'secret'), 'utf8').trim();
    expect(firstOutput).toMatch(generated);
    expect(first.output()).not.toContain(secret);

    const second = await startDigest(['serve'], env, READY, { cwd: dir, timeoutMs: 120_000 });
    try {
      const reused = /SECRET is not set: using the one generated at the first start, kept in \S+\/data\/secret/;
      expect(await outputMatching(second.output, reused)).toMatch(reused);
      expect(second.output()).not.toMatch(/generated one/);
      expect(readFileSync(join(data, 'secret'), 'utf8').trim()).toBe(secret);

      // Refused (DATA_DIR is held): only why, no word about the SECRET.
      const refused = await runDigest(['serve'], env, { cwd: dir, timeoutMs: 60_000 });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/the embedded database is open in another process/);
      expect(refused.stdout + refused.stderr).not.toMatch(/SECRET/);
      expect(refused.stdout).not.toContain('listening on');
    } finally {
      expect(await stopChild(second.child)).toBe(0);
    }
  }, 300_000);

  it('NODE_ENV=prod (a typo) does not start: one line naming the valid values, no token, no SECRET, no catcher', async () => {
    const fresh = mkdtempSync(join(dir, 'typo-'));
    const r = await runDigest(['serve'], { NODE_ENV: 'prod', PORT: '0' }, { cwd: fresh, timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual(['config: NODE_ENV "prod" must be production, development or test (or unset)']);
    expect(r.stdout).toBe('');
    expect(existsSync(join(fresh, 'data'))).toBe(false);
  });
});
