import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
 */
export class MailStore {
  private readonly summaries: CaughtSummary[] = [];
  private readonly memory = new Map<string, Buffer>();

  constructor(
    private readonly dir: string | undefined,
    private readonly limit = 1000,
  ) {
    if (dir) {
      mkdirSync(dir, { recursive: true });
      for (const file of readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort()) {
        try {
          const s = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CaughtSummary & { receivedAt: string };
          this.summaries.push({ ...s, receivedAt: new Date(s.receivedAt) });
        } catch {
          /* a summary half-written by a crash: its message is skipped */
        }
      }
      this.summaries.sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime());
    }
  }

  add(raw: Buffer, meta: Omit<CaughtSummary, 'id' | 'receivedAt' | 'size'>): CaughtSummary {
    const receivedAt = new Date();
    // Time-ordered ids so a directory listing is the inbox order.
    const id = `${receivedAt.getTime().toString(36).padStart(9, '0')}-${randomUUID().slice(0, 8)}`;
    const summary: CaughtSummary = { id, receivedAt, size: raw.length, ...meta };
    if (this.dir) {
      writeFileSync(join(this.dir, `${id}.eml`), raw);
      writeFileSync(join(this.dir, `${id}.json`), JSON.stringify(summary));
    } else this.memory.set(id, raw);
    this.summaries.push(summary);
    while (this.summaries.length > this.limit) this.remove(this.summaries[0]!.id);
    return summary;
  }

  /** Newest first. */
  list(): readonly CaughtSummary[] {
    return [...this.summaries].reverse();
  }

  get count(): number {
    return this.summaries.length;
  }

  summary(id: string): CaughtSummary | undefined {
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
    for (const s of [...this.summaries]) this.remove(s.id);
  }

  private remove(id: string): void {
    const i = this.summaries.findIndex((s) => s.id === id);
    if (i >= 0) this.summaries.splice(i, 1);
    this.memory.delete(id);
    if (this.dir) for (const ext of ['eml', 'json']) rmSync(join(this.dir, `${id}.${ext}`), { force: true });
  }

  /** Bytes on disk, for the inbox page. */
  diskUsage(): number {
    if (!this.dir) return [...this.memory.values()].reduce((a, b) => a + b.length, 0);
    return readdirSync(this.dir).reduce((a, f) => a + statSync(join(this.dir!, f)).size, 0);
  }
}
