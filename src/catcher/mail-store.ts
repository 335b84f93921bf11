import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One message the catcher holds: the summary the inbox lists; the raw .eml stays on disk. */
export interface CaughtSummary {
  readonly id: string;
  readonly receivedAt: Date;
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly size: number;
}

/**
 * The catcher's mailbox: one .eml file per message under DATA_DIR/catcher (or in memory), the newest
 * `limit` kept, so a demo that sends thousands of messages does not fill the disk.
 *
 * The directory is the mailbox, not this object: `digest send` beside a running `digest serve` runs a
 * catcher of its own on the same directory, and serve's inbox must show what it caught. So every read
 * first looks at the directory's mtime (one stat) and, when it moved (a file added or removed by any
 * process), lists it again, parsing only the summaries it has not seen.
 */
export class MailStore {
  private summaries: CaughtSummary[] = [];
  private readonly memory = new Map<string, Buffer>();
  /** The directory's mtime when it was last listed; undefined: list it on the next read. */
  private listedAt: bigint | undefined;

  constructor(
    private readonly dir: string | undefined,
    private readonly limit = 1000,
  ) {
    if (dir) {
      mkdirSync(dir, { recursive: true });
      this.refresh();
    }
  }

  add(raw: Buffer, meta: Omit<CaughtSummary, 'id' | 'receivedAt' | 'size'>): CaughtSummary {
    const receivedAt = new Date();
    // Time-ordered ids so a directory listing is the inbox order.
    const id = `${receivedAt.getTime().toString(36).padStart(9, '0')}-${randomUUID().slice(0, 8)}`;
    const summary: CaughtSummary = { id, receivedAt, size: raw.length, ...meta };
    if (this.dir) {
      this.refresh();
      writeFileSync(join(this.dir, `${id}.eml`), raw);
      // Written aside and renamed: another process listing the directory never reads half a summary
      // (and the rename moves the directory's mtime after the content is there).
      const tmp = join(this.dir, `.${id}.json.tmp`);
      writeFileSync(tmp, JSON.stringify(summary));
      renameSync(tmp, join(this.dir, `${id}.json`));
    } else this.memory.set(id, raw);
    this.summaries.push(summary);
    while (this.summaries.length > this.limit) this.remove(this.summaries[0]!.id);
    return summary;
  }

  /** Newest first. */
  list(): readonly CaughtSummary[] {
    this.refresh();
    return [...this.summaries].reverse();
  }

  get count(): number {
    this.refresh();
    return this.summaries.length;
  }

  summary(id: string): CaughtSummary | undefined {
    this.refresh();
    return this.summaries.find((s) => s.id === id);
  }

  raw(id: string): Buffer | undefined {
    if (!this.summary(id)) return undefined;
    if (!this.dir) return this.memory.get(id);
    try {
      return readFileSync(join(this.dir, `${id}.eml`));
    } catch {
      return undefined;
    }
  }

  clear(): void {
    this.refresh();
    for (const s of [...this.summaries]) this.remove(s.id);
  }

  private remove(id: string): void {
    const i = this.summaries.findIndex((s) => s.id === id);
    if (i >= 0) this.summaries.splice(i, 1);
    this.memory.delete(id);
    if (this.dir) for (const ext of ['eml', 'json']) rmSync(join(this.dir, `${id}.${ext}`), { force: true });
  }

  /**
   * Brings the summaries in line with the directory, when its mtime says something was added or
   * removed since the last listing: new summaries are read, vanished ones dropped.
   */
  private refresh(): void {
    if (!this.dir) return;
    let mtime: bigint;
    try {
      mtime = statSync(this.dir, { bigint: true }).mtimeNs;
    } catch {
      return; // removed under us: what is held stays listed, and raw() finds nothing
    }
    if (mtime === this.listedAt) return;
    const known = new Map(this.summaries.map((s) => [s.id, s]));
    const next: CaughtSummary[] = [];
    let complete = true;
    for (const file of readdirSync(this.dir)) {
      if (!file.endsWith('.json') || file.startsWith('.')) continue;
      const id = file.slice(0, -'.json'.length);
      const held = known.get(id);
      if (held) {
        next.push(held);
        continue;
      }
      try {
        const s = JSON.parse(readFileSync(join(this.dir, file), 'utf8')) as CaughtSummary & { receivedAt: string };
        next.push({ ...s, receivedAt: new Date(s.receivedAt) });
      } catch {
        // Half-written by a crash (or by an older release writing in place): skipped, and looked at
        // again on the next read rather than forgotten until the directory changes.
        complete = false;
      }
    }
    this.summaries = next.sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || a.id.localeCompare(b.id));
    this.listedAt = complete ? mtime : undefined;
  }

  /** Bytes on disk, for the inbox page. */
  diskUsage(): number {
    if (!this.dir) return [...this.memory.values()].reduce((a, b) => a + b.length, 0);
    // Another process's catcher may remove a file between the listing and its stat.
    return readdirSync(this.dir).reduce((a, f) => a + (statSync(join(this.dir!, f), { throwIfNoEntry: false })?.size ?? 0), 0);
  }
}
