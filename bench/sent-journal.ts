/**
 * What the sent journal costs a worker per message: one line appended (write(2), no fsync) when the
 * relay's 250 is read, and the lines dropped as the marks are stored (a truncate when nothing waits,
 * a new file every 10,000 lines on a long send). Run the way the recorder runs it: a batch of 25
 * marks stored at a time, one batch always waiting behind (so the file rotates rather than empties),
 * against the same loop with no journal. `npx tsx bench/sent-journal.ts [--messages N]`
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../src/config/index.js';
import type { SentMark } from '../src/delivery/delivery-state.js';
import { SentJournal } from '../src/delivery/sent-journal.js';

const i = process.argv.indexOf('--messages');
const N = i >= 0 ? Number(process.argv[i + 1]) : 1_000_000;
const BATCH = 25;
const marks: SentMark[] = Array.from({ length: 1000 }, (_, k) => ({
  id: 1_000_000 + k,
  messageId: `<digest.1234.${1_000_000 + k}.0123456789abcdef@news.example.com>`,
}));

function run(journal: SentJournal | undefined): { wallNs: number; cpuNs: number } {
  let waiting: SentMark[] = [];
  const cpu = process.cpuUsage();
  const t = process.hrtime.bigint();
  for (let n = 0; n < N; n++) {
    const mark = marks[n % marks.length]!;
    journal?.append(mark);
    waiting.push(mark);
    // A batch is stored once the next one has filled: something always waits, as in a busy send.
    if (waiting.length === 2 * BATCH) {
      journal?.stored(BATCH);
      waiting = waiting.slice(BATCH);
    }
  }
  const wallNs = Number(process.hrtime.bigint() - t);
  const used = process.cpuUsage(cpu);
  return { wallNs, cpuNs: (used.user + used.system) * 1000 };
}

const dir = mkdtempSync(join(os.tmpdir(), 'digest-journal-bench-'));
try {
  run(undefined); // warm up
  const without = run(undefined);
  const journal = new SentJournal(join(dir, 'sent-journal'), silentLogger);
  const withJournal = run(journal);
  journal.release();
  const perMessage = (ns: number) => (ns / N / 1000).toFixed(2);
  console.log(`sent journal, ${N.toLocaleString('en')} messages, ${os.cpus()[0]?.model ?? 'cpu'}, load ${os.loadavg()[0]!.toFixed(1)}`);
  console.log(`  without: ${perMessage(without.wallNs)} µs wall, ${perMessage(without.cpuNs)} µs CPU per message`);
  console.log(`  with:    ${perMessage(withJournal.wallNs)} µs wall, ${perMessage(withJournal.cpuNs)} µs CPU per message`);
  console.log(`  the journal: ${perMessage(withJournal.cpuNs - without.cpuNs)} µs CPU per message`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
