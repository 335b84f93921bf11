import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { childEnv, DIGEST_BIN, runDigest, type CliResult } from '../helpers/cli.js';

/**
 * `digest serve` on a DATA_DIR the embedded engine cannot use stops with one line naming DATA_DIR and
 * exit code 1: no stack trace, no PGlite "Aborted()", and no half-written database left behind.
 *
 * The suite runs as root, and root ignores permission bits (chmod 0555 stops nobody), so the faults
 * are made with things that stop root too:
 * - a DATA_DIR under a regular file (ENOTDIR), and a `pgdata` that is a regular file;
 * - an immutable directory (`chattr +i`: EPERM even for root) where the file system supports it;
 * - a "full disk" for one process: `ulimit -f` (RLIMIT_FSIZE) makes writes past 2 MB fail with
 *   EFBIG, so the first start's initdb fails half-way, as it would on a full disk.
 * No mounts (tmpfs, loop devices) are available to the suite.
 */
const SECRET = 'data-dir-test-secret-0123456789';
const root = mkdtempSync(join(tmpdir(), 'digest-datadir-'));
const immutable: string[] = [];

afterAll(() => {
  for (const p of immutable) spawnQuiet('chattr', ['-R', '-i', p]);
  rmSync(root, { recursive: true, force: true });
});

function spawnQuiet(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** chattr +i works on this file system for this user (root with CAP_LINUX_IMMUTABLE). */
const canMakeImmutable = (() => {
  const probe = join(root, 'probe');
  mkdirSync(probe);
  const ok = spawnQuiet('chattr', ['+i', probe]);
  if (ok) spawnQuiet('chattr', ['-i', probe]);
  return ok;
})();

function serve(dataDir: string, env: Record<string, string> = { SECRET }): Promise<CliResult> {
  return runDigest(['serve'], { DATA_DIR: dataDir, PORT: '0', ...env }, { timeoutMs: 90_000 });
}

/** One line on stderr naming DATA_DIR and the directory, exit 1, nothing that looks like a stack. */
function expectOneLineNamingDataDir(r: CliResult, dataDir: string): void {
  expect(r.code, r.stderr).toBe(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toContain('DATA_DIR');
  expect(lines[0]).toContain(dataDir);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toMatch(/Aborted\(|undefined$/);
  expect(r.stdout).not.toContain('listening on');
}

describe('digest serve on a DATA_DIR the embedded engine cannot use', () => {
  it('names DATA_DIR in one line when it lies under a regular file (ENOTDIR)', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'not a directory\n');
    const dataDir = join(file, 'data');
    expectOneLineNamingDataDir(await serve(dataDir), dataDir);
    // Without SECRET the generated one is kept in DATA_DIR: the same fault, found while reading config.
    const r = await serve(dataDir, {});
    expectOneLineNamingDataDir(r, dataDir);
    expect(r.stderr).toMatch(/^config: /);
  });

  it('names DATA_DIR when its pgdata is a regular file', async () => {
    const dataDir = join(root, 'pgdata-is-a-file');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'pgdata'), '');
    const r = await serve(dataDir);
    expectOneLineNamingDataDir(r, dataDir);
    expect(r.stderr).toContain('ENOTDIR');
  });

  it('leaves no half-written database when the disk fills during the first start, and the next start works', async () => {
    const dataDir = join(root, 'fills-up');
    mkdirSync(dataDir);
    const r = await new Promise<CliResult>((resolve) => {
      // RLIMIT_FSIZE of 2 MB: PGlite's initdb writes a 16 MB WAL segment, so it fails part-way.
      execFile(
        'bash',
        ['-c', `ulimit -f 2048 && exec "${process.execPath}" "${DIGEST_BIN}" serve`],
        { env: childEnv({ DATA_DIR: dataDir, PORT: '0', SECRET }), timeout: 90_000 },
        (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });
    expectOneLineNamingDataDir(r, dataDir);
    expect(existsSync(join(dataDir, 'pgdata'))).toBe(false);
    expect(existsSync(join(dataDir, 'digest.lock'))).toBe(false);

    const again = await runDigest(['migrate'], { DATA_DIR: dataDir, SECRET }, { timeoutMs: 90_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('001_initial');
  });

  it.skipIf(!canMakeImmutable)('names DATA_DIR when the directory is immutable (read-only even for root)', async () => {
    const dataDir = join(root, 'immutable-empty');
    mkdirSync(dataDir);
    expect(spawnQuiet('chattr', ['+i', dataDir])).toBe(true);
    immutable.push(dataDir);
    expectOneLineNamingDataDir(await serve(dataDir), dataDir);
    expectOneLineNamingDataDir(await serve(dataDir, {}), dataDir);
  });

  it.skipIf(!canMakeImmutable)('refuses an existing database whose files became read-only, and leaves it intact', async () => {
    const dataDir = join(root, 'immutable-db');
    const stories = join(root, 'stories.json');
    writeFileSync(stories, JSON.stringify([{ url: 'https://news.example/kept', title: 'Kept across the failed start' }]));
    // Only serve and migrate create the database; stories import needs it set up.
    const created = await runDigest(['migrate'], { DATA_DIR: dataDir, SECRET }, { timeoutMs: 90_000 });
    expect(created.code, created.stderr).toBe(0);
    const imported = await runDigest(['stories', 'import', stories], { DATA_DIR: dataDir, SECRET }, { timeoutMs: 90_000 });
    expect(imported.code, imported.stderr).toBe(0);

    const pgdata = join(dataDir, 'pgdata');
    expect(spawnQuiet('chattr', ['-R', '+i', pgdata])).toBe(true);
    immutable.push(pgdata);
    expectOneLineNamingDataDir(await serve(dataDir), dataDir);
    expect(existsSync(join(dataDir, 'digest.lock'))).toBe(false);

    expect(spawnQuiet('chattr', ['-R', '-i', pgdata])).toBe(true);
    const opened = await openDatabase({ dataDir, command: 'test' });
    try {
      const rows = await opened.db.selectFrom('stories').select('url').execute();
      expect(rows.map((r) => r.url)).toEqual(['https://news.example/kept']);
    } finally {
      await opened.close();
    }
  });
});
