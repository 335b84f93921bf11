import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';

export class DataDirLockedError extends Error {
  readonly code = 'DATA_DIR_LOCKED';
  constructor(
    readonly dataDir: string,
    readonly holderPid: number,
    readonly holderCommand: string,
  ) {
    super(
      `DATA_DIR ${dataDir}: the embedded database is open in another process (pid ${holderPid}: digest ${holderCommand}). ` +
        'Two processes on one PGlite data directory silently lose writes. ' +
        (holderCommand === 'serve'
          ? 'Run one digest serve per DATA_DIR (the CLI uses the running one through its socket), or set DATABASE_URL to use PostgreSQL.'
          : `Wait for digest ${holderCommand} to finish (or stop it), or set DATABASE_URL to use PostgreSQL.`),
    );
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  release(): void;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite's data directory belongs to one process. The lock file is created with O_EXCL; one left by
 * a process that died (kill -9) is recognised by its dead pid and taken over.
 */
export function lockDataDir(dataDir: string, command: string): DataDirLock {
  // Owner-only, as PostgreSQL wants its data directory: it holds the database files and the SECRET.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, 'digest.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, JSON.stringify({ pid: process.pid, command }));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        try {
          const holder = JSON.parse(readFileSync(file, 'utf8')) as { pid: number };
          if (holder.pid === process.pid) rmSync(file, { force: true });
        } catch {
          /* already gone */
        }
      };
      process.once('exit', release);
      return { release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder: { pid: number; command: string } | undefined;
      try {
        holder = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; command: string };
      } catch {
        holder = undefined; // half-written by a process that died while writing it
      }
      if (holder && holder.pid !== process.pid && isAlive(holder.pid)) {
        throw new DataDirLockedError(dataDir, holder.pid, holder.command);
      }
      rmSync(file, { force: true });
    }
  }
  throw new Error(`could not take the lock ${file}`);
}
