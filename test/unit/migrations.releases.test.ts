import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../src/db/index.js';
import {
  compareVersions,
  migrationFiles,
  packageVersion,
  parseVersion,
  readReleases,
  sha256OfMigration,
} from '../helpers/upgrade-releases.js';

/**
 * migrations/releases.json records what each release shipped. A database upgraded from a release
 * has exactly those files applied, recorded by name only: a released migration edited afterwards
 * would leave that database different from a new one, silently. So released migrations are
 * append-only, and this test holds every recorded file to its sha256.
 */
describe('migrations/releases.json', () => {
  const releases = readReleases();
  const folder = migrationFiles();

  it('lists semantic versions, oldest first, each once', () => {
    for (const r of releases) expect(parseVersion(r.version), r.version).toBeDefined();
    const versions = releases.map((r) => r.version);
    expect(versions).toEqual([...versions].sort(compareVersions));
    expect(new Set(versions).size).toBe(versions.length);
  });

  it('every migration a release lists still exists with the sha256 it shipped with', () => {
    const changed: string[] = [];
    for (const r of releases) {
      for (const m of r.migrations) {
        if (!existsSync(join(MIGRATIONS_DIR, `${m.name}.sql`))) changed.push(`${r.version}: migrations/${m.name}.sql is gone`);
        else if (sha256OfMigration(m.name) !== m.sha256)
          changed.push(`${r.version}: migrations/${m.name}.sql was edited after it shipped (write a new migration instead)`);
      }
    }
    expect(changed).toEqual([]);
  });

  it('each release keeps every migration of the one before, in the same order, and adds only at the end', () => {
    for (let i = 1; i < releases.length; i++) {
      const before = releases[i - 1]!.migrations.map((m) => m.name);
      const after = releases[i]!.migrations.map((m) => m.name);
      expect(after.slice(0, before.length), `${releases[i]!.version} after ${releases[i - 1]!.version}`).toEqual(before);
      expect([...after].sort(), releases[i]!.version).toEqual(after);
    }
  });

  it("lists package.json's version, and that entry is exactly the migrations folder", () => {
    const version = packageVersion();
    const current = releases.find((r) => r.version === version);
    // The entry to add (or to complete) is printed in the failure, ready to paste.
    const expected = folder.map((name) => ({ name, sha256: sha256OfMigration(name) }));
    expect(
      current,
      `migrations/releases.json has no entry for ${version}: ${JSON.stringify({ version, migrations: expected })}`,
    ).toBeDefined();
    expect(current!.migrations).toEqual(expected);
    // Nothing newer than the version being built: a later entry would describe a release that does not exist yet.
    expect(releases.at(-1)!.version).toBe(version);
  });
});
