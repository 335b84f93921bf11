import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { randomBytes } from 'node:crypto';
import { buildPgliteTemplate, dropRunDatabases, ENGINES } from './helpers/database.js';

const BUILD = fileURLToPath(new URL('../scripts/build.mjs', import.meta.url));

function build(): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    execFile(process.execPath, [BUILD], { timeout: 170_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve();
      reject(new Error(`the build before the tests failed (node scripts/build.mjs):\n${stdout}${stderr}`));
    });
  });
}

/**
 * Before the suite, and before each rerun in watch mode: builds src/ into dist/ (incremental; about
 * half a second when nothing changed). Tests that spawn `digest` run bin/digest.js, which runs dist/:
 * without this, a test run after an edit to src/ would prove the previous build. A failed build stops
 * the run with tsc's output.
 */
export default async function buildBeforeTests(project: TestProject): Promise<() => Promise<void>> {
  // This run's PostgreSQL test databases carry its id (test/helpers/database.ts), so the teardown
  // below drops what this run left and nothing of another run beside it.
  const run = randomBytes(4).toString('hex');
  process.env.DIGEST_TEST_RUN = run;
  await build();
  // Once here, not in every worker at the same time: the migrated embedded database that
  // every PGlite test starts from (kept on disk until the migrations change).
  if (ENGINES.includes('pglite')) await buildPgliteTemplate();
  project.onTestsRerun(build);
  return () => dropRunDatabases(run);
}
