import { readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config, Logger } from '../config/index.js';
import type { Db } from '../db/index.js';
import { markSent, type SentMark } from './delivery-state.js';
import { journalDir, journalOwner, parseJournal } from './sent-journal.js';

export interface ReplayOptions {
  /** Checked between retries: the worker is stopping, give up (the files stay for the next start). */
  readonly stopped?: () => boolean;
  /** Pause between tries while the database is away (default 1 s). */
  readonly retryMs?: number;
}

export interface ReplayResult {
  /** Journal files read (other processes', live or dead). */
  readonly files: number;
  /** Marks read from them. */
  readonly marks: number;
  /** Deliveries that were not `sent` yet and are now (a mark already stored changes nothing). */
  readonly marked: number;
  /** Dead processes' files deleted once their marks were stored. */
  readonly deleted: number;
}

/** One replay of a folder at a time in a process: the workers of a process start together and join it. */
const replaying = new Map<string, Promise<ReplayResult | undefined>>();

/**
 * At a worker's start, before its first claim: the marks that other processes' journals hold
 * (sent-journal.ts), written to the database. Otherwise a delivery whose 250 was read by a process
 * killed before it wrote the mark would be claimed again, once its lease ran out, and sent twice.
 *
 * - Idempotent: markSent changes only rows not yet `sent` (its WHERE), with the Message-ID they were
 *   sent with; replaying a live process's file (which that process will store anyway) is harmless.
 * - A dead process's file is deleted once its marks are stored; a live process's is not (it may still
 *   append to it), nor this process's own. Which is which: journalOwner (sent-journal.ts).
 * - While the database is away the replay waits and tries again (nothing can be claimed anyway);
 *   the files stay until it succeeds.
 * - A last line cut short (the process died mid-write) and unreadable lines are skipped with a
 *   warning, never a crash: at worst that message is sent again, as it was before the journal.
 */
export function replaySentJournals(
  db: Db,
  config: Pick<Config, 'dataDir' | 'installId'>,
  log: Logger,
  options: ReplayOptions = {},
): Promise<ReplayResult | undefined> {
  const dir = journalDir(config.dataDir);
  if (!dir) return Promise.resolve(undefined);
  let running = replaying.get(dir);
  if (!running) {
    running = replay(db, dir, config.installId, log, options).finally(() => replaying.delete(dir));
    replaying.set(dir, running);
  }
  return running;
}

async function replay(db: Db, dir: string, installId: string, log: Logger, options: ReplayOptions): Promise<ReplayResult | undefined> {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      log.warn({ event: 'delivery.journal_unreadable', dir, err: (err as Error).message }, 'cannot read the sent journal folder');
    }
    return { files: 0, marks: 0, marked: 0, deleted: 0 };
  }
  let files = 0;
  let marks = 0;
  let marked = 0;
  let deleted = 0;
  for (const name of names) {
    if (journalOwner(name) === undefined) continue;
    const path = join(dir, name);
    let text: string;
    let owner: ReturnType<typeof journalOwner>;
    try {
      owner = journalOwner(name, Date.now() - statSync(path).mtimeMs);
      if (owner === 'this process') continue;
      text = readFileSync(path, 'utf8');
    } catch (err) {
      // Deleted meanwhile (another process replayed it, or its owner emptied it): nothing to do.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        log.warn({ event: 'delivery.journal_unreadable', file: path, err: (err as Error).message }, 'cannot read a sent journal file');
      }
      continue;
    }
    files += 1;
    const read = parseJournal(text, installId);
    // A live process may be writing its last line right now: only a dead one's is worth a warning.
    if (owner === 'dead') warnUnread(log, path, read);
    marks += read.marks.length;
    for (let i = 0; i < read.marks.length; i += 500) {
      const n = await untilStored(db, read.marks.slice(i, i + 500), log, options);
      if (n === undefined) return undefined;
      marked += n;
    }
    if (owner === 'dead') {
      try {
        unlinkSync(path);
        deleted += 1;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          log.warn(
            { event: 'delivery.journal_unreadable', file: path, err: (err as Error).message },
            'cannot delete a replayed sent journal file',
          );
        }
      }
    }
  }
  if (files > 0) {
    log.info(
      { event: 'delivery.journal_replayed', files, marks, marked, deleted },
      `sent journal: ${marked} delivery(ies) accepted by the relay before a crash marked sent (not sent again)`,
    );
  }
  return { files, marks, marked, deleted };
}

function warnUnread(log: Logger, file: string, read: ReturnType<typeof parseJournal>): void {
  if (read.cutShort) {
    log.warn(
      { event: 'delivery.journal_cut_short', file },
      'the last line of a sent journal was cut short (the process died while writing it): ignored',
    );
  }
  if (read.malformed > 0) {
    log.warn(
      { event: 'delivery.journal_malformed', file, lines: read.malformed },
      `${read.malformed} unreadable line(s) in a sent journal: ignored`,
    );
  }
  if (read.otherInstall > 0) {
    log.warn(
      { event: 'delivery.journal_other_install', file, lines: read.otherInstall },
      `${read.otherInstall} line(s) of a sent journal name another install (another database or SECRET used this DATA_DIR): ignored`,
    );
  }
}

/** markSent, tried again every retryMs while the database is away; undefined when the worker stopped first. */
async function untilStored(db: Db, batch: readonly SentMark[], log: Logger, options: ReplayOptions): Promise<number | undefined> {
  for (let tries = 0; ; tries++) {
    try {
      return await markSent(db, batch);
    } catch (err) {
      if (tries === 0) {
        log.warn(
          { event: 'delivery.journal_replay_waiting', err: (err as Error).message },
          'cannot write the sent journal to the database yet: claims wait until it is',
        );
      }
      if (options.stopped?.()) return undefined;
      await sleep(options.retryMs ?? 1000);
      if (options.stopped?.()) return undefined;
    }
  }
}
