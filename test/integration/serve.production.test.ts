import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDigest } from '../helpers/cli.js';

describe('NODE_ENV=production with nothing configured', () => {
  const dir = mkdtempSync(join(tmpdir(), 'digest-prod-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('does not start: exit 1, one line per missing setting, and nothing created', async () => {
    // A fresh directory: no .env to read, no DATA_DIR yet.
    const r = await runDigest(['serve'], { NODE_ENV: 'production', PORT: '0' }, { cwd: dir, timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('config: '));
    expect(lines.map((l) => /^config: (\w+)/.exec(l)![1])).toEqual(['SECRET', 'ADMIN_TOKEN', 'PUBLIC_URL', 'SMTP_URL', 'POSTAL_ADDRESS']);
    expect(r.stdout).not.toContain('listening on');
    // No secret generated, no embedded database opened.
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });
});
