/**
 * DATA_DIR cannot hold the embedded database: not a directory, read-only (EROFS, or immutable, which
 * stops root too), full, or a data directory a failed first start left half-written. One line that
 * names DATA_DIR and what is wrong, for the CLI to print instead of a stack trace or PGlite's
 * "Aborted()".
 */
export class DataDirError extends Error {
  readonly code = 'DATA_DIR_UNUSABLE';
  constructor(
    readonly dataDir: string,
    reason: string,
  ) {
    super(
      `DATA_DIR ${dataDir} cannot hold the embedded database: ${reason}. Point DATA_DIR at a writable directory with free space, or set DATABASE_URL to use PostgreSQL.`,
    );
    this.name = 'DataDirError';
  }
}

/**
 * Emscripten's errno numbers (PGlite's file system layer throws `ErrnoError { errno }` with no
 * message) for the failures DATA_DIR can cause; anything else is reported by its number.
 */
const EMSCRIPTEN_ERRNO: Record<number, string> = {
  2: 'permission denied (EACCES)',
  20: 'file exists where a directory is needed (EEXIST)',
  29: 'input/output error (EIO)',
  31: 'is a directory (EISDIR)',
  44: 'no such file or directory (ENOENT)',
  51: 'no space left on device (ENOSPC)',
  54: 'not a directory (ENOTDIR)',
  63: 'operation not permitted (EPERM)',
  69: 'read-only file system (EROFS)',
  22: 'file too large (EFBIG)',
};

/** What went wrong, in words, whatever was thrown (a Node fs error, an emscripten ErrnoError, an abort). */
export function describeStorageError(err: unknown): string {
  if (err instanceof Error && err.message) {
    const code = (err as NodeJS.ErrnoException).code;
    // Node's fs messages already say "EPERM: operation not permitted, open '/x/digest.lock'".
    if (/^Aborted\(/.test(err.message))
      return 'the embedded engine aborted while writing (the disk may be full or the directory read-only)';
    return code && !err.message.startsWith(code) ? `${code}: ${err.message}` : err.message;
  }
  const errno = (err as { errno?: unknown } | null)?.errno;
  if (typeof errno === 'number') return EMSCRIPTEN_ERRNO[errno] ?? `file system error (emscripten errno ${errno})`;
  return String(err);
}
