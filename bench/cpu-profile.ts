/**
 * A V8 CPU profile (`node --cpu-prof`, a .cpuprofile file) summarised: self time by function and by
 * group of code (a package, a folder of src/, a Node built-in, V8's own: GC, idle). dist/ is the
 * compiled src/: its source maps give the .ts file and line.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileRow {
  name: string;
  /** file:line in the sources (src/…, node_modules/…, node:…), or '' for V8's own. */
  where?: string;
  ms: number;
  /** Share of all sampled time, idle included. */
  percent: number;
  /** Microseconds per message sent. */
  usPerMessage: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  messages: number;
  functions: ProfileRow[];
  groups: ProfileRow[];
}

const SPECIAL = new Set(['(garbage collector)', '(program)', '(idle)', '(root)']);

/** A source location: dist/ mapped back to src/ through its source map, paths relative to root. */
class Locator {
  private readonly maps = new Map<string, SourceMap | null>();
  constructor(private readonly root: string) {}

  locate(url: string, line: number, column: number): { file: string; line: number } {
    if (!url.startsWith('file://')) return { file: url, line: line + 1 };
    const file = fileURLToPath(url);
    const map = this.mapOf(file);
    const entry = map?.findEntry(line, column) as { originalSource?: string; originalLine?: number } | undefined;
    if (entry?.originalSource) {
      const source = entry.originalSource.startsWith('file://')
        ? fileURLToPath(entry.originalSource)
        : path.resolve(path.dirname(file), entry.originalSource);
      return { file: path.relative(this.root, source), line: (entry.originalLine ?? line) + 1 };
    }
    return { file: path.relative(this.root, file), line: line + 1 };
  }

  private mapOf(file: string): SourceMap | null {
    if (!this.maps.has(file)) {
      try {
        this.maps.set(file, new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))));
      } catch {
        this.maps.set(file, null);
      }
    }
    return this.maps.get(file)!;
  }
}

/** The group a source file belongs to: node_modules/<package>, node:<module>, or its folder. */
export function groupOf(file: string): string {
  const nm = file.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = file.slice(nm + 'node_modules/'.length).split('/');
    return `node_modules/${parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  if (file.startsWith('node:')) {
    const first = file
      .slice('node:'.length)
      .replace(/^internal\//, '')
      .split('/')[0]!;
    return `node:${first.replace(/\.js$/, '')}`;
  }
  if (file === '') return '(native)';
  return path.dirname(file);
}

export function summariseCpuProfile(file: string, root: string, messages: number, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  // A sample's time is the gap to the next sample (as Chrome's DevTools count it).
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(profile.samples[i]!, (selfUs.get(profile.samples[i]!) ?? 0) + Math.max(0, dt));
  }
  const locator = new Locator(root);
  const byFunction = new Map<string, { name: string; where: string; us: number }>();
  const byGroup = new Map<string, number>();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const f = frames.get(id)!;
    totalUs += us;
    let name = f.functionName || '(anonymous)';
    let where = '';
    let group: string;
    if (SPECIAL.has(f.functionName)) group = f.functionName;
    else if (!f.url) {
      group = '(native)';
      name = `${name} (native)`;
    } else {
      const at = locator.locate(f.url, f.lineNumber, f.columnNumber);
      where = `${at.file}:${at.line}`;
      group = groupOf(at.file);
    }
    const key = `${name}\u0000${where}`;
    const row = byFunction.get(key) ?? { name, where, us: 0 };
    row.us += us;
    byFunction.set(key, row);
    byGroup.set(group, (byGroup.get(group) ?? 0) + us);
  }
  const row = (name: string, us: number, where?: string): ProfileRow => ({
    name,
    ...(where !== undefined ? { where } : {}),
    ms: us / 1000,
    percent: (us / Math.max(1, totalUs)) * 100,
    usPerMessage: us / Math.max(1, messages),
  });
  return {
    file,
    totalMs: totalUs / 1000,
    messages,
    functions: [...byFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => row(f.name, f.us, f.where)),
    groups: [...byGroup.entries()].sort((a, b) => b[1] - a[1]).map(([g, us]) => row(g, us)),
  };
}

export function formatProfile(s: ProfileSummary, groups = 15): string {
  const num = (r: ProfileRow) =>
    `${r.ms.toFixed(0).padStart(8)}  ${r.percent.toFixed(1).padStart(5)}%  ${r.usPerMessage.toFixed(1).padStart(8)}`;
  const fnWidth = Math.min(48, Math.max(8, ...s.functions.map((f) => f.name.length)));
  const whereWidth = Math.min(56, Math.max(9, ...s.functions.map((f) => (f.where ?? '').length)));
  const groupWidth = Math.max(5, ...s.groups.slice(0, groups).map((g) => g.name.length));
  const shown = s.groups.slice(0, groups);
  const rest = s.groups.slice(groups).reduce((a, g) => a + g.ms, 0);
  return [
    `CPU profile of digest send: ${s.totalMs.toFixed(0)} ms sampled (whole process: start, prepare, send), ${s.messages} messages`,
    `${'function'.padEnd(fnWidth)}  ${'file:line'.padEnd(whereWidth)}  ${'self ms'.padStart(8)}  ${'share'.padStart(6)}  ${'µs/msg'.padStart(8)}`,
    ...s.functions.map(
      (f) => `${f.name.slice(0, fnWidth).padEnd(fnWidth)}  ${(f.where ?? '').slice(-whereWidth).padEnd(whereWidth)}  ${num(f)}`,
    ),
    '',
    `${'group'.padEnd(groupWidth)}  ${'self ms'.padStart(8)}  ${'share'.padStart(6)}  ${'µs/msg'.padStart(8)}`,
    ...shown.map((g) => `${g.name.padEnd(groupWidth)}  ${num(g)}`),
    ...(rest > 0 ? [`${'(the rest)'.padEnd(groupWidth)}  ${rest.toFixed(0).padStart(8)}`] : []),
  ].join('\n');
}
