import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../config/index.js';
import type { SentMark } from './delivery-state.js';

/**
 * The sent journal: the relay's 250s that are not yet `sent` in the database, kept in DATA_DIR so
 * that a process killed while its marks wait (the database down, or just the 100 ms before a batch
 * is written) does not send those messages again when it is started again.
 *
 * One line per accepted message, `<delivery id> <Message-ID>\n`, appended with one write(2) the
 * moment the 250 is read, before the mark exists only in memory (outcome-recorder.ts). Once the
 * database has the marks, their lines go: the file is truncated when nothing in it waits any more,
 * and a long send (where something always waits) moves to a new file every `rotateLines` lines and
 * deletes the old one once all of its marks are stored. The recorder writes marks in the order it
 * was given them, which is the order of the lines, so "N more marks stored" names the first N
 * unstored lines.
 *
 * What it survives: the process dying in any way (kill -9, an OOM kill, a crash): the lines are in
 * the kernel's page cache the moment write(2) returns. Not a power cut or a kernel crash: nothing is
 * fsync'ed (one fsync per message would cost more than sending it). When the journal is lost as
 * well, the unrecorded window (unrecorded-window.ts) is what bounds the duplicates.
 *
 * One file per recorder (per worker), named `<pid>-<process token>-<n>@<host>.log`: processes
 * sharing DATA_DIR never write to one file, and the replay (sent-journal-replay.ts) can tell a live
 * process's file, which it reads but does not delete, from a dead one's (journalOwner).
 */
export const JOURNAL_FOLDER = 'sent-journal';

/** Where the journal lives, or undefined for an in-memory DATA_DIR (no journal: nothing outlives the process there). */
export function journalDir(dataDir: string): string | undefined {
  return dataDir.startsWith('memory://') ? undefined : join(dataDir, JOURNAL_FOLDER);
}

/**
 * Tells this process's files from those of an earlier process that had the same pid (in a container
 * the service is often pid 1 at every start): a file with our pid and another token is a dead one's.
 */
const PROCESS_TOKEN = randomBytes(6).toString('hex');
/** Pids are per host (per container): containers sharing a volume each have their pid 1. */
const HOST =
  hostname()
    .replace(/[^A-Za-z0-9.-]/g, '_')
    .slice(0, 64) || 'host';
let filesOpened = 0;
const FILE_NAME = /^(\d{1,10})-([0-9a-f]{12})-(\d{1,10})@([A-Za-z0-9._-]{1,64})\.log$/;
/** A file nobody wrote to for this long is a dead process's, whatever its pid says. */
export const STALE_JOURNAL_MS = 60 * 60_000;

export type JournalOwner = 'this process' | 'live' | 'dead';

/** The name of a process's `n`th journal file (this host's, unless another is named). */
export function journalFileName(pid: number, token: string, n: number, host = HOST): string {
  return `${pid}-${token}-${n}@${host}.log`;
}

/**
 * Whose file `name` is, `ageMs` after it was last written: this process's; a dead process's (on this
 * host, no process with its pid, or our pid with another token; or not written for an hour); or
 * else a live one's, as far as we can tell (another host's process, whose pid means nothing here,
 * is taken as live until its file is stale). Undefined when it is not a journal file at all.
 * Deleting a live process's file by mistake loses nothing already in it (the replay stored it
 * first), and its owner opens a new one (SentJournal checks its file still exists).
 */
export function journalOwner(name: string, ageMs = 0): JournalOwner | undefined {
  const m = FILE_NAME.exec(name);
  if (!m) return undefined;
  const pid = Number(m[1]);
  const here = m[4] === HOST;
  if (here && pid === process.pid) return m[2] === PROCESS_TOKEN ? 'this process' : 'dead';
  if (ageMs > STALE_JOURNAL_MS) return 'dead';
  if (!here) return 'live';
  try {
    process.kill(pid, 0);
    return 'live';
  } catch (err) {
    // EPERM: the process exists, it is someone else's.
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? 'live' : 'dead';
  }
}

interface Segment {
  readonly path: string;
  /** Open while it is the file being appended to; closed once full. */
  fd: number | undefined;
  /** Lines in the file. */
  lines: number;
  /** Of those, lines whose marks the database does not have yet. */
  unstored: number;
}

export interface SentJournalOptions {
  /** A file with this many lines is closed and the next line starts a new one (default 10,000: about 700 KB). */
  readonly rotateLines?: number;
}

export class SentJournal {
  /** The file being appended to. */
  private current: Segment | undefined;
  /** Full files, oldest first, kept until every mark in them is stored. */
  private readonly full: Segment[] = [];
  /** A write failed (DATA_DIR read-only, disk full): no more journal for this recorder; the window still bounds duplicates. */
  private broken = false;
  private readonly rotateLines: number;

  constructor(
    private readonly dir: string,
    private readonly log: Logger,
    options: SentJournalOptions = {},
  ) {
    this.rotateLines = options.rotateLines ?? 10_000;
  }

  /** The files this journal has on disk now (tests, logs). */
  get files(): string[] {
    return [...this.full, ...(this.current ? [this.current] : [])].map((s) => s.path);
  }

  /** One relay-accepted message, written before this call returns (one write(2), no fsync). */
  append(mark: SentMark): void {
    if (this.broken) return;
    try {
      // The first line since the file was emptied: another process may have replayed and deleted it
      // meanwhile (it took us for dead); a line written to a deleted file would be lost with us.
      if (this.current && this.current.lines === 0 && fstatSync(this.current.fd!).nlink === 0) {
        closeSync(this.current.fd!);
        this.current = undefined;
      }
      this.current ??= this.open();
      const segment = this.current;
      const line = `${mark.id} ${mark.messageId}\n`;
      const written = writeSync(segment.fd!, line);
      if (written !== Buffer.byteLength(line)) throw new Error(`short write: ${written} of ${Buffer.byteLength(line)} bytes`);
      segment.lines += 1;
      segment.unstored += 1;
      if (segment.lines >= this.rotateLines) {
        closeSync(segment.fd!);
        segment.fd = undefined;
        this.full.push(segment);
        this.current = undefined;
      }
    } catch (err) {
      this.fail(err);
    }
  }

  /** The oldest `count` unstored marks are now in the database: their lines can go. */
  stored(count: number): void {
    if (this.broken) return;
    try {
      let left = count;
      while (left > 0) {
        const segment = this.full[0] ?? this.current;
        if (!segment) break;
        const n = Math.min(left, segment.unstored);
        segment.unstored -= n;
        left -= n;
        if (segment.unstored > 0) break;
        if (segment === this.current) {
          // All stored: empty the file in place (appends go to its new end, O_APPEND).
          ftruncateSync(segment.fd!, 0);
          segment.lines = 0;
          break;
        }
        this.full.shift();
        removeFile(segment.path);
      }
    } catch (err) {
      this.fail(err);
    }
  }

  /**
   * The worker is stopping: the file goes if every mark in it is stored; otherwise it stays, closed,
   * for the next start to replay (said once in the log). A later append opens a new file.
   */
  release(): void {
    const segment = this.current;
    this.current = undefined;
    if (!segment) return;
    try {
      if (segment.fd !== undefined) closeSync(segment.fd);
      segment.fd = undefined;
      if (segment.unstored === 0 && !this.broken) removeFile(segment.path);
      else this.full.push(segment);
    } catch (err) {
      this.fail(err);
    }
    const waiting = this.full.reduce((n, s) => n + s.unstored, 0);
    if (waiting > 0 && !this.broken) {
      this.log.warn(
        { event: 'delivery.journal_kept', marks: waiting, files: this.full.map((s) => s.path) },
        `${waiting} sent mark(s) could not be written to the database: kept in the sent journal, written at the next start`,
      );
    }
  }

  private open(): Segment {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    filesOpened += 1;
    const path = join(this.dir, journalFileName(process.pid, PROCESS_TOKEN, filesOpened));
    return { path, fd: openSync(path, 'a', 0o600), lines: 0, unstored: 0 };
  }

  private fail(err: unknown): void {
    if (this.broken) return;
    if (this.current?.fd !== undefined) {
      try {
        closeSync(this.current.fd);
      } catch {
        // Already unusable; what it holds stays on disk for the next start.
      }
      this.current.fd = undefined;
    }
    this.broken = true;
    this.log.warn(
      { event: 'delivery.journal_unavailable', dir: this.dir, err: (err as Error).message },
      'cannot write the sent journal in DATA_DIR: marks wait in memory only (a crash while the database is away may resend more)',
    );
  }
}

/** Deletes a file; one already gone (another process replayed it) is no error. */
function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** A journal file read back: the marks of its complete lines and what could not be read. */
export interface ReadJournal {
  readonly marks: SentMark[];
  /** A last line with no newline: the process died while writing it (or while the disk filled). */
  readonly cutShort: boolean;
  /** Complete lines that are not a delivery id and its Message-ID. */
  readonly malformed: number;
  /** Lines whose Message-ID names another install (another database or SECRET shared this DATA_DIR). */
  readonly otherInstall: number;
}

/** `<id> <digest.EDITION.DELIVERY.INSTALL@domain>` (verp.ts deliveryMessageId). */
const LINE = /^(\d{1,15}) (<digest\.\d{1,15}\.(\d{1,15})\.([0-9a-f]{16})@[^\s<>]+>)$/;

/**
 * Parses a journal file. Pure. A line counts only if it ends with a newline and its Message-ID names
 * the same delivery and this install: a mark replayed into the wrong database would mark a reader
 * sent who was never mailed, which is worse than a duplicate.
 */
export function parseJournal(text: string, installId: string): ReadJournal {
  const lines = text.split('\n');
  const last = lines.pop();
  const marks: SentMark[] = [];
  let malformed = 0;
  let otherInstall = 0;
  for (const line of lines) {
    const m = LINE.exec(line);
    if (!m || m[1] !== m[3]) malformed += 1;
    else if (m[4] !== installId) otherInstall += 1;
    else marks.push({ id: Number(m[1]), messageId: m[2]! });
  }
  return { marks, cutShort: last !== undefined && last !== '', malformed, otherInstall };
}
