import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * With no SECRET configured, a random one is generated once and kept in DATA_DIR so links in emails
 * already sent keep working across restarts. Production should set its own (serve says which of the
 * two happened: `created` only the first time).
 */
export function readOrCreateSecret(dataDir: string): { readonly secret: string; readonly created: boolean } {
  const file = join(dataDir, 'secret');
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing.length >= 16) return { secret: existing, created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  // Owner-only, as PostgreSQL wants its data directory: it holds the database files and the SECRET.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'w' });
  return { secret, created: true };
}
