import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runDigest } from '../helpers/cli.js';

/**
 * Start-up is what a process loads before it does anything: `digest --help` loads commander and
 * nothing of the service, and the read-only `status` never loads what only rendering, serving or feed
 * parsing need. Proven by running the real command with those packages refused (the process fails if
 * any of them is imported), not by timing it.
 */
const GUARD = fileURLToPath(new URL('../fixtures/runtime/refuse-imports.mjs', import.meta.url));
const refusing = (packages: string[]) => ({ NODE_OPTIONS: `--import=${GUARD}`, REFUSE_IMPORTS: packages.join(',') });
const SERVICE = [
  '@electric-sql/pglite',
  'pg',
  'kysely',
  'zod',
  'mjml',
  'fastify',
  'feedsmith',
  'nodemailer',
  'mailparser',
  'smtp-server',
  'pino',
];

describe('what a digest command loads at start-up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'digest-lazy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('help, of the program and of each command, loads none of the service', async () => {
    for (const args of [['--help'], ['serve', '--help'], ['send', '--help'], ['subscribers', 'import', '--help'], ['status', '--help']]) {
      const r = await runDigest(args, refusing(SERVICE));
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^Usage: digest/);
    }
    // A usage error is answered the same way, with its own exit code.
    const bad = await runDigest(['no-such-command'], refusing(SERVICE));
    expect(bad.code).toBe(2);
    expect(bad.stderr).not.toContain('refused import');
  });

  it("--version and -V print package.json's version and exit 0, compiled, loading no database, mail or web package", async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    // The version is read through config (zod, pino); nothing else of the service loads.
    const refused = refusing(SERVICE.filter((p) => p !== 'zod' && p !== 'pino'));
    for (const flag of ['--version', '-V']) {
      expect(await runDigest([flag], refused), flag).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    }
  });

  it('status on an embedded database loads no MJML, Fastify, feed parser, mail parser or SMTP server', async () => {
    const env = { DATA_DIR: join(dir, 'data'), SECRET: 'lazy-imports-secret-0123456789' };
    expect((await runDigest(['migrate'], env)).code).toBe(0);
    const status = await runDigest(['status'], {
      ...env,
      ...refusing(['mjml', 'fastify', 'feedsmith', 'html-to-text', 'mailparser', 'smtp-server']),
    });
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('migrations: up to date');
  });
});
