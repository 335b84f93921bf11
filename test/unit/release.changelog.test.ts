import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../src/db/index.js';

/**
 * CHANGELOG.md (Keep a Changelog 1.1.0) and package.json tell one story: the newest release in the
 * changelog is the version `digest --version`, the admin's footer and /healthz report, every release
 * heading is a semantic version with its date, newest first, and every migration is listed under
 * the release that brings it, so an operator knows what an upgrade will run.
 */
const text = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const changelog = text('CHANGELOG.md');
const pkg = JSON.parse(text('package.json')) as { version: string };
const lock = JSON.parse(text('package-lock.json')) as { version: string; packages: Record<string, { version?: string }> };

// semver.org's regular expression for a version (2.0.0), anchored.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

interface Release {
  readonly heading: string;
  readonly version: string;
  readonly date: string;
  readonly body: string;
}

/** The `## ` sections in order: [Unreleased] first, then `## [x.y.z] - YYYY-MM-DD`. */
function sections(markdown: string): { heading: string; body: string }[] {
  const parts = markdown.split(/^(?=## )/m).slice(1);
  return parts.map((part) => {
    const [heading, ...rest] = part.split('\n');
    return { heading: heading!.trim(), body: rest.join('\n') };
  });
}

function releases(markdown: string): Release[] {
  return sections(markdown)
    .slice(1)
    .map(({ heading, body }) => {
      const m = /^## \[([^\]]+)\] - (\d{4}-\d{2}-\d{2})$/.exec(heading);
      return { heading, version: m?.[1] ?? '', date: m?.[2] ?? '', body };
    });
}

/** -1, 0 or 1 by semver precedence of major.minor.patch, a pre-release below its release. */
function compareVersions(a: string, b: string): number {
  const pa = SEMVER.exec(a)!;
  const pb = SEMVER.exec(b)!;
  for (const i of [1, 2, 3]) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0) return Math.sign(d);
  }
  if (pa[4] === pb[4]) return 0;
  if (pa[4] === undefined) return 1;
  if (pb[4] === undefined) return -1;
  return pa[4] < pb[4] ? -1 : 1;
}

const isRealDate = (date: string) => new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) === date;

describe('CHANGELOG.md', () => {
  const released = releases(changelog);

  it('opens with an [Unreleased] section above the releases', () => {
    expect(sections(changelog)[0]?.heading).toBe('## [Unreleased]');
    expect(released.length).toBeGreaterThan(0);
  });

  it('heads every release with a semantic version and a real date, newest first', () => {
    for (const r of released) {
      expect(r.heading, r.heading).toMatch(/^## \[[^\]]+\] - \d{4}-\d{2}-\d{2}$/);
      expect(r.version, r.heading).toMatch(SEMVER);
      expect(isRealDate(r.date), r.heading).toBe(true);
    }
    for (let i = 1; i < released.length; i++) {
      const [newer, older] = [released[i - 1]!, released[i]!];
      expect(compareVersions(newer.version, older.version), `${newer.version} above ${older.version}`).toBe(1);
      expect(newer.date >= older.date, `${newer.heading} dated before ${older.heading}`).toBe(true);
    }
  });

  it("names package.json's version (and the lock file's) as the newest release", () => {
    expect(released[0]?.version).toBe(pkg.version);
    expect(lock.version).toBe(pkg.version);
    expect(lock.packages['']?.version).toBe(pkg.version);
  });

  it('lists every migration under exactly one release or [Unreleased], each release saying which it adds', () => {
    const files = readdirSync(MIGRATIONS_DIR)
      .filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f))
      .map((f) => f.replace(/\.sql$/, ''))
      .sort();
    const listed: string[] = [];
    for (const { heading, body } of sections(changelog)) {
      const line = /^Migrations: (.+)$/m.exec(body)?.[1];
      if (heading !== '## [Unreleased]') expect(line, `${heading} has no "Migrations:" line`).toBeDefined();
      if (line === undefined || line.startsWith('none')) continue;
      // The line may wrap: read the names up to the end of its paragraph.
      const paragraph = body.slice(body.indexOf('Migrations: ')).split(/\n\s*\n|\n- /)[0]!;
      listed.push(...[...paragraph.matchAll(/`(\d{3}_[\w-]+)`/g)].map((m) => m[1]!));
    }
    expect(listed.sort()).toEqual(files);
  });
});
