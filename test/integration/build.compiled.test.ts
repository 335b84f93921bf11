import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runDigest, startDigest, stopChild } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GUARD = fileURLToPath(new URL('../fixtures/runtime/refuse-imports.mjs', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/feeds/${name}`, import.meta.url));
// Every child below starts with the guard: an import of tsx, typescript or esbuild, or of any .ts
// file, fails the process.
const NO_TS = { NODE_OPTIONS: `--import=${GUARD}` };

function node(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

describe('the service runs compiled JavaScript, with no TypeScript loader at run time', () => {
  const dir = mkdtempSync(join(tmpdir(), 'digest-compiled-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('builds dist/ from src/, and the entry and the runtime dependencies name no TypeScript tool', () => {
    // test/global-setup.ts built it before this file ran.
    expect(existsSync(join(ROOT, 'dist/cli/main.js'))).toBe(true);
    expect(existsSync(join(ROOT, 'dist/stories/parse-worker.js'))).toBe(true);
    expect(existsSync(join(ROOT, 'dist/demo/images/city.png'))).toBe(true);
    const entry = readFileSync(join(ROOT, 'bin/digest.js'), 'utf8');
    expect(entry).toContain('../dist/cli/main.js');
    expect(entry).not.toMatch(/tsx|\.ts['"]/);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
      dependencies: Record<string, string>;
    };
    expect(Object.keys(pkg.dependencies)).not.toContain('tsx');
    expect(Object.keys(pkg.dependencies)).not.toContain('typescript');
    expect(pkg.scripts.start).toBe('node bin/digest.js serve');
    expect(pkg.scripts.prepare).toBe('node scripts/build.mjs');
  });

  it('the guard is real: a process under it cannot load tsx or a .ts file', async () => {
    const tsx = await node(['-e', "await import('tsx/esm/api')", '--input-type=module'], NO_TS);
    expect(tsx.code).not.toBe(0);
    expect(tsx.stderr).toContain('refused import: tsx/esm/api');
    const ts = await node(['-e', "await import('./src/cli/cli-error.ts')", '--input-type=module'], NO_TS);
    expect(ts.code).not.toBe(0);
    expect(ts.stderr).toContain('no TypeScript at run time');
  });

  it('help, `npm start`’s serve on a fresh data directory, and a feed import through the parsing worker all run under the guard', async () => {
    const help = await runDigest(['--help'], NO_TS);
    expect(help.stderr).toBe('');
    expect(help).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage: digest') });

    const env = { ...NO_TS, DATA_DIR: join(dir, 'data'), SECRET: 'compiled-test-secret-0123456789' };
    const serve = await startDigest(['serve'], { ...env, PORT: '0' }, /listening on\s+(http:\/\/\S+)/, { timeoutMs: 90_000 });
    try {
      expect((await fetch(`${serve.match[1]}/healthz`)).status).toBe(200);
      expect(serve.output()).not.toMatch(/no TypeScript at run time|refused import/);
    } finally {
      expect(await stopChild(serve.child)).toBe(0);
    }

    // The parse runs in a worker thread, which has a module loader of its own: compiled, it starts
    // from dist/stories/parse-worker.js.
    const imported = await runDigest(['stories', 'import', fixture('blogs.atom'), '--kind', 'blog'], env);
    expect(imported.stderr).toBe('');
    expect(imported).toMatchObject({ code: 0, stdout: expect.stringContaining('2 new, 0 updated, 0 rejected') });
  });

  it('a build that fails says where, with tsc’s own line, every time until the source is fixed', async () => {
    // A copy of the tree the build reads, so the real dist/ is not touched. Its dist/ is the real one's
    // copy, as a checkout has after `npm install`: the first build has nothing to do, as there, and
    // no initdb template to make again (the fresh-checkout build is npm ci's, which every run makes).
    const copy = join(dir, 'tree');
    for (const p of ['src', 'scripts', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'dist'])
      cpSync(join(ROOT, p), join(copy, p), { recursive: true, filter: (from) => !from.endsWith('.build-lock') });
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    const build = () => node([join(copy, 'scripts/build.mjs')], {});
    expect((await build()).code).toBe(0);

    const file = join(copy, 'src/ranking/index.ts');
    const good = readFileSync(file, 'utf8');
    appendFileSync(file, 'export const broken = ;\n');
    for (let i = 0; i < 2; i++) {
      const failed = await build();
      expect(failed.code).not.toBe(0);
      expect(failed.stdout + failed.stderr).toMatch(/src\/ranking\/index\.ts\(\d+,\d+\): error TS\d+/);
    }
    writeFileSync(file, good);
    expect((await build()).code).toBe(0);
  });
});
