import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/**
 * What PGlite's initdb writes, made once by the build (scripts/build.mjs) with the PGlite installed:
 * a fresh DATA_DIR is unpacked from it instead of running initdb, which is most of a first start
 * (initdb in WebAssembly takes 8 s of CPU on a loaded 2-core machine; unpacking, a fraction of a
 * second). It holds no schema: the migrations run on it as on any new database. The path is the
 * same from src/db and dist/db (the package's dist/).
 */
export const INITDB_TEMPLATE = fileURLToPath(new URL('../../dist/pgdata-initdb.tar.gz', import.meta.url));

/**
 * The template as PGlite's loadDataDir takes it; undefined when there is none (no build yet) or it
 * cannot be read (then initdb runs, as before there were templates).
 */
export function readInitdbTemplate(path = INITDB_TEMPLATE): Blob | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return new Blob([gunzipSync(readFileSync(path))]);
  } catch {
    return undefined;
  }
}
