import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS_DIR } from '../../src/db/index.js';

/**
 * migrations/releases.json: each released version and the migrations it shipped. Tags may not reach
 * CI, so the upgrade tests build an old release's schema from this file and the migration files.
 */
export interface ReleasedMigration {
  readonly name: string;
  readonly sha256: string;
}

export interface Release {
  readonly version: string;
  readonly migrations: readonly ReleasedMigration[];
}

export const RELEASES_FILE = join(MIGRATIONS_DIR, 'releases.json');

export function readReleases(): Release[] {
  return (JSON.parse(readFileSync(RELEASES_FILE, 'utf8')) as { releases: Release[] }).releases;
}

/** The migration names in the folder, as the migrator orders them (migrate.ts). */
export function migrationFiles(): string[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((f) => f.replace(/\.sql$/, ''));
}

export function sha256OfMigration(name: string): string {
  return createHash('sha256')
    .update(readFileSync(join(MIGRATIONS_DIR, `${name}.sql`)))
    .digest('hex');
}

/** `1.2.3` → [1, 2, 3]; undefined for anything else (no pre-release tags in this project). */
export function parseVersion(v: string): [number, number, number] | undefined {
  const m = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a)!;
  const y = parseVersion(b)!;
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/**
 * A folder holding only `release`'s migrations, copied from migrations/ (whose files are checked
 * against the recorded sha256 first): migrate(db, dir) on it builds that release's schema.
 */
export function releaseMigrationsDir(release: Release): { readonly dir: string; close(): void } {
  const dir = mkdtempSync(join(tmpdir(), `digest-release-${release.version}-`));
  for (const m of release.migrations) {
    const actual = sha256OfMigration(m.name);
    if (actual !== m.sha256) throw new Error(`migrations/${m.name}.sql changed since ${release.version} shipped it (sha256 ${actual})`);
    copyFileSync(join(MIGRATIONS_DIR, `${m.name}.sql`), join(dir, `${m.name}.sql`));
  }
  return { dir, close: () => rmSync(dir, { recursive: true, force: true }) };
}
