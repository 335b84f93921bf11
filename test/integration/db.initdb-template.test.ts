import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { INITDB_TEMPLATE, migrate, openDatabase, type OpenOptions } from '../../src/db/index.js';

/**
 * A fresh DATA_DIR starts from the initdb template the build made (dist/pgdata-initdb.tar.gz), not
 * from initdb: initdb in WebAssembly was most of the first start. Which one made a database is told
 * by its system identifier, which initdb draws at random and a copy keeps.
 */
async function systemIdentifier(options: OpenOptions): Promise<string> {
  const opened = await openDatabase(options);
  try {
    const r = await sql<{ id: string }>`SELECT system_identifier::text AS id FROM pg_control_system()`.execute(opened.db);
    return r.rows[0]!.id;
  } finally {
    await opened.close();
  }
}

describe('the first start of an embedded database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'digest-initdb-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('unpacks the build’s initdb template, then migrates as any new database', async () => {
    // test/global-setup.ts ran the build, which made it for the PGlite installed.
    expect(existsSync(INITDB_TEMPLATE)).toBe(true);
    const template = await systemIdentifier({ dataDir: 'memory://', loadDataDir: new Blob([gunzipSync(readFileSync(INITDB_TEMPLATE))]) });

    const a = join(dir, 'a');
    const opened = await openDatabase({ dataDir: a, command: 'test' });
    try {
      const applied = await migrate(opened.db);
      expect(applied[0]).toBe('001_initial');
      expect(await opened.db.selectFrom('stories').selectAll().execute()).toEqual([]);
    } finally {
      await opened.close();
    }
    expect(await systemIdentifier({ dataDir: a, command: 'test' })).toBe(template);
    expect(await systemIdentifier({ dataDir: join(dir, 'b'), command: 'test' })).toBe(template);
    expect(readdirSync(a).sort()).toEqual(['pgdata']);
  });

  it('runs initdb itself when the template is missing or does not load, and leaves no staging directory', async () => {
    const template = await systemIdentifier({ dataDir: 'memory://', loadDataDir: new Blob([gunzipSync(readFileSync(INITDB_TEMPLATE))]) });
    // A whole gzip of half the archive (PGlite cannot start on it), a cut gzip, and no file at all.
    const truncated = join(dir, 'truncated.tar.gz');
    writeFileSync(truncated, gzipSync(gunzipSync(readFileSync(INITDB_TEMPLATE)).subarray(0, 4_000_000)));
    const cut = join(dir, 'cut.tar.gz');
    writeFileSync(cut, readFileSync(INITDB_TEMPLATE).subarray(0, 200_000));
    const missing = join(dir, 'no-such-template.tar.gz');
    const ids: string[] = [];
    for (const [name, path] of [
      ['truncated', truncated],
      ['cut', cut],
      ['missing', missing],
    ] as const) {
      const dataDir = join(dir, name);
      ids.push(await systemIdentifier({ dataDir, command: 'test', initdbTemplate: path }));
      expect(readdirSync(dataDir).sort()).toEqual(['pgdata']);
      const opened = await openDatabase({ dataDir, command: 'test' });
      try {
        expect(await migrate(opened.db)).toContain('001_initial');
      } finally {
        await opened.close();
      }
    }
    // Three initdbs: identifiers of their own, none the template's.
    expect(new Set([...ids, template]).size).toBe(4);
  });
});
