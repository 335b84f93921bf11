import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { journalDir, journalOwner, parseJournal, SentJournal, STALE_JOURNAL_MS } from '../../src/delivery/sent-journal.js';
import { capturingLogger } from '../helpers/log.js';

/**
 * The sent journal's file on its own (no database): a line per relay-accepted message on disk before
 * append() returns, lines dropped once their marks are stored, the file kept for the next start when
 * they are not, and a file cut short by a crash read back without its last line, with a warning.
 * Its replay into the database: test/integration/delivery.sent-journal.test.ts.
 */
const INSTALL = '0123456789abcdef';
const mark = (id: number, install = INSTALL) => ({ id, messageId: `<digest.7.${id}.${install}@example.com>` });
const lines = (file: string) => readFileSync(file, 'utf8');

describe('the sent journal', () => {
  const dirs: string[] = [];
  function journalIn(options: { rotateLines?: number } = {}) {
    const root = mkdtempSync(join(tmpdir(), 'digest-journal-'));
    dirs.push(root);
    const { log, lines: logged } = capturingLogger();
    const dir = journalDir(root)!;
    return { dir, journal: new SentJournal(dir, log, options), logged };
  }
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('has no folder for an in-memory DATA_DIR, and one inside DATA_DIR otherwise', () => {
    expect(journalDir('memory://')).toBeUndefined();
    expect(journalDir('/srv/digest')).toBe('/srv/digest/sent-journal');
  });

  it('writes one line per accepted message before append returns, and empties the file once every mark is stored', () => {
    const { dir, journal } = journalIn();
    expect(existsSync(dir)).toBe(false);
    journal.append(mark(1));
    journal.append(mark(2));
    journal.append(mark(3));
    const [file] = journal.files;
    expect(readdirSync(dir)).toEqual([basename(file!)]);
    expect(lines(file!)).toBe(
      '1 <digest.7.1.0123456789abcdef@example.com>\n2 <digest.7.2.0123456789abcdef@example.com>\n3 <digest.7.3.0123456789abcdef@example.com>\n',
    );
    journal.stored(2);
    expect(lines(file!).split('\n')).toHaveLength(4); // the third still waits: nothing dropped yet
    journal.stored(1);
    expect(lines(file!)).toBe('');
    journal.append(mark(4));
    expect(lines(file!)).toBe('4 <digest.7.4.0123456789abcdef@example.com>\n');
    expect(parseJournal(lines(file!), INSTALL).marks).toEqual([mark(4)]);
  });

  it('moves to a new file every rotateLines lines and deletes an old one once all its marks are stored', () => {
    const { dir, journal } = journalIn({ rotateLines: 3 });
    for (let id = 1; id <= 7; id++) journal.append(mark(id));
    const [first, second, third] = journal.files;
    expect(readdirSync(dir).sort()).toEqual([first, second, third].map((f) => basename(f!)).sort());
    expect(parseJournal(lines(second!), INSTALL).marks.map((m) => m.id)).toEqual([4, 5, 6]);
    journal.stored(4);
    expect(existsSync(first!)).toBe(false);
    expect(existsSync(second!)).toBe(true);
    journal.stored(3);
    expect(readdirSync(dir)).toEqual([basename(third!)]);
    expect(lines(third!)).toBe('');
  });

  it('deletes its file at a stop when every mark is stored, and keeps it (said in the log) when some are not', () => {
    const clean = journalIn();
    clean.journal.append(mark(1));
    clean.journal.stored(1);
    clean.journal.release();
    expect(readdirSync(clean.dir)).toEqual([]);

    const { dir, journal, logged } = journalIn();
    journal.append(mark(1));
    journal.append(mark(2));
    journal.stored(1);
    const [file] = journal.files;
    journal.release();
    expect(readdirSync(dir)).toEqual([basename(file!)]);
    expect(parseJournal(lines(file!), INSTALL).marks).toEqual([mark(1), mark(2)]);
    expect(logged.filter((l) => l.event === 'delivery.journal_kept')).toMatchObject([{ marks: 1 }]);
  });

  it('reads a file whose last line was cut short by a crash: the complete lines, the cut one ignored and reported', () => {
    const text = `${mark(1).id} ${mark(1).messageId}\n${mark(2).id} ${mark(2).messageId}\n3 <digest.7.3.0123`;
    expect(parseJournal(text, INSTALL)).toEqual({ marks: [mark(1), mark(2)], cutShort: true, malformed: 0, otherInstall: 0 });
    expect(parseJournal('', INSTALL)).toEqual({ marks: [], cutShort: false, malformed: 0, otherInstall: 0 });
  });

  it('skips lines that are not a delivery and its own Message-ID, and lines of another install', () => {
    const text = [
      `1 ${mark(1).messageId}`,
      `2 ${mark(3).messageId}`, // the id and the Message-ID disagree
      'garbage',
      `4 ${mark(4, 'fedcba9876543210').messageId}`,
      `5 ${mark(5).messageId}`,
      '',
    ].join('\n');
    expect(parseJournal(text, INSTALL)).toEqual({ marks: [mark(1), mark(5)], cutShort: false, malformed: 2, otherInstall: 1 });
  });

  it("tells this process's files from a live process's and a dead one's", () => {
    const { journal } = journalIn();
    journal.append(mark(1));
    const own = basename(journal.files[0]!);
    const host = own.slice(own.indexOf('@') + 1, -'.log'.length);
    expect(host).toBe(
      hostname()
        .replace(/[^A-Za-z0-9.-]/g, '_')
        .slice(0, 64),
    );
    expect(journalOwner(own)).toBe('this process');
    expect(journalOwner(own, 2 * STALE_JOURNAL_MS), 'our own file, however old').toBe('this process');
    // Our pid with another token: an earlier process that had our pid (a container's pid 1).
    expect(journalOwner(own.replace(/-[0-9a-f]{12}-/, '-000000000000-'))).toBe('dead');
    const exited = spawnSync(process.execPath, ['-e', '']).pid!;
    expect(journalOwner(`${exited}-000000000000-1@${host}.log`)).toBe('dead');
    expect(journalOwner(`${process.ppid}-000000000000-1@${host}.log`)).toBe('live');
    expect(journalOwner(`${process.ppid}-000000000000-1@${host}.log`, STALE_JOURNAL_MS + 1), 'not written for an hour').toBe('dead');
    // Another host's (another container on a shared volume): its pid means nothing here.
    expect(journalOwner(`${exited}-000000000000-1@other-host.log`)).toBe('live');
    expect(journalOwner(`${exited}-000000000000-1@other-host.log`, STALE_JOURNAL_MS + 1)).toBe('dead');
    expect(journalOwner('notes.txt')).toBeUndefined();
  });

  it('opens a new file when another process deleted its emptied one, and minds no old file already gone', () => {
    const { dir, journal } = journalIn({ rotateLines: 2 });
    journal.append(mark(1));
    journal.append(mark(2));
    journal.append(mark(3));
    const [full, current] = journal.files;
    // Another process took this one for dead, replayed and deleted both files.
    unlinkSync(full!);
    journal.stored(3);
    unlinkSync(current!);
    journal.append(mark(4));
    const [fresh] = journal.files;
    expect(fresh).not.toBe(current);
    expect(readdirSync(dir)).toEqual([basename(fresh!)]);
    expect(parseJournal(lines(fresh!), INSTALL).marks).toEqual([mark(4)]);
  });

  it('stops journaling, with one warning and no exception, when DATA_DIR cannot hold it', () => {
    const root = mkdtempSync(join(tmpdir(), 'digest-journal-'));
    dirs.push(root);
    // A DATA_DIR under a regular file (ENOTDIR): root ignores permission bits, not this.
    writeFileSync(join(root, 'file'), '');
    const { log, lines: logged } = capturingLogger();
    const journal = new SentJournal(journalDir(join(root, 'file'))!, log);
    expect(() => {
      journal.append(mark(1));
      journal.append(mark(2));
      journal.stored(2);
      journal.release();
    }).not.toThrow();
    expect(logged.filter((l) => l.event === 'delivery.journal_unavailable')).toHaveLength(1);
  });
});
