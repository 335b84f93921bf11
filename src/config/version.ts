import { readFileSync } from 'node:fs';

/**
 * package.json, found from this module: src/config/ under tsx and vitest, dist/config/ once built
 * (the build lays dist/ out as src/ is). Both are two levels below the package's root, where the
 * Docker image and `npm ci` keep package.json too.
 */
const PACKAGE_JSON = new URL('../../package.json', import.meta.url);

export interface PackageInfo {
  /** "daily-digest". */
  readonly name: string;
  /** This release, as the CHANGELOG names it: "0.4.0". */
  readonly version: string;
}

let read: PackageInfo | undefined;

/**
 * The running release: package.json's name and version, read on the first call and kept, so a process
 * reports the version it started as even after a newer package.json is unpacked beside it. The web
 * asks when its routes are registered (at start-up); `digest --version` asks once.
 */
export function packageInfo(): PackageInfo {
  if (read) return read;
  const pkg = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { name?: unknown; version?: unknown };
  if (typeof pkg.name !== 'string' || typeof pkg.version !== 'string') {
    throw new Error(`${PACKAGE_JSON.pathname} has no "name" or "version" string`);
  }
  read = Object.freeze({ name: pkg.name, version: pkg.version });
  return read;
}
