#!/usr/bin/env node
// Compiles src/ to dist/ (JavaScript, ESM), which bin/digest.js and `npm start` run. `npm install` and
// `npm ci` run it as the `prepare` script; `npm run build` after editing src/; the test suite's
// globalSetup (test/global-build.ts) before every run, so processes the tests spawn run today's code.
//
// Why `tsc -b` with noCheck (tsconfig.build.json): the build only emits. Type checking is its own step
// (`npm run typecheck`, CI), so a build with nothing to do ends in about half a second (tsc -b compares
// the sources with dist/.tsbuildinfo) and one edited file re-emits in about two.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = (p) => `${root}${p}`;

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  // A production install without TypeScript (npm ci --omit=dev --omit=optional) runs the dist/ an
  // earlier build made, so a missing compiler is not an install error, unless that dist/ is missing
  // or older than the sources (after a git pull): an install that cannot run, or runs yesterday's
  // code without a word, is one. (The Dockerfile builds in a stage of its own.)
  const HOW = 'run `npm ci` (it builds), then `npm prune --omit=dev`';
  if (!existsSync(at('dist/cli/main.js')) || !existsSync(at('dist/.tsbuildinfo'))) {
    process.stderr.write(`build: typescript is not installed and there is no dist/ to run: ${HOW}\n`);
    process.exit(1);
  }
  if (newestMtime(at('src')) > statSync(at('dist/.tsbuildinfo')).mtimeMs) {
    process.stderr.write(`build: typescript is not installed and dist/ is older than src/: ${HOW}\n`);
    process.exit(1);
  }
  process.stderr.write('build: typescript is not installed (production install); dist/ is up to date\n');
  process.exit(0);
}

function newestMtime(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

// Two builds at once (two test runs, an install beside a test run) would write the same files under
// each other's readers: one at a time, through a lock file that a crashed build cannot leave behind
// for long.
mkdirSync(at('dist'), { recursive: true });
const lock = at('dist/.build-lock');
const waitUntil = Date.now() + 120_000;
for (;;) {
  try {
    writeFileSync(lock, String(process.pid), { flag: 'wx' });
    break;
  } catch (err) {
    if (err.code !== 'EEXIST') throw err;
    let age = 0;
    try {
      age = Date.now() - statSync(lock).mtimeMs;
    } catch {
      continue; // released between the two calls
    }
    if (age > 60_000) rmSync(lock, { force: true });
    else if (Date.now() > waitUntil) {
      process.stderr.write(`build: another build holds ${lock}; remove it if no build is running\n`);
      process.exit(1);
    } else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
}

let status;
try {
  const r = spawnSync(process.execPath, [tsc, '-b', at('tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
  status = r.status ?? 1;
  // tsc -b records a failed build as done (with noCheck, a syntax error is reported once and the next
  // build finds nothing to do): forget it, so every build until the fix compiles all and fails again.
  if (status !== 0) rmSync(at('dist/.tsbuildinfo'), { force: true });
  if (status === 0) {
    copyAssets();
    await initdbTemplate();
  }
} finally {
  rmSync(lock, { force: true });
}
process.exit(status);

/** Files under src/ that are not TypeScript and that the code reads beside itself (the demo's images). */
function copyAssets() {
  for (const dir of ['demo/images']) {
    for (const name of readdirSync(at(`src/${dir}`))) {
      const from = at(`src/${dir}/${name}`);
      const to = at(`dist/${dir}/${name}`);
      if (existsSync(to) && statSync(to).mtimeMs >= statSync(from).mtimeMs) continue;
      mkdirSync(at(`dist/${dir}`), { recursive: true });
      cpSync(from, to);
    }
  }
}

/**
 * dist/pgdata-initdb.tar.gz: what PGlite's initdb writes, from which a fresh DATA_DIR starts
 * (src/db/initdb-template.ts). Made again only when the installed PGlite differs from the one that
 * made it (dist/pgdata-initdb.json); a few seconds, once. Without it a first start runs initdb
 * itself, so a failure here is reported and the build goes on.
 */
async function initdbTemplate() {
  const file = at('dist/pgdata-initdb.tar.gz');
  const meta = at('dist/pgdata-initdb.json');
  try {
    const require = createRequire(import.meta.url);
    let dir = dirname(require.resolve('@electric-sql/pglite'));
    while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
    const pglite = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
    if (existsSync(file) && existsSync(meta) && JSON.parse(readFileSync(meta, 'utf8')).pglite === pglite) return;
    const started = Date.now();
    const { PGlite } = await import('@electric-sql/pglite');
    const db = await PGlite.create();
    const dump = await db.dumpDataDir('none');
    await db.close();
    writeFileSync(`${file}.tmp`, gzipSync(Buffer.from(await dump.arrayBuffer())));
    renameSync(`${file}.tmp`, file);
    writeFileSync(meta, JSON.stringify({ pglite }) + '\n');
    process.stderr.write(`build: initdb template for PGlite ${pglite} made in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  } catch (err) {
    rmSync(`${file}.tmp`, { force: true });
    process.stderr.write(`build: no initdb template (${err.message}); a fresh DATA_DIR runs initdb on its first start\n`);
  }
}
