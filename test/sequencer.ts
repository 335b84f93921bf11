import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The longest files first, so that no worker starts one when the others are nearly done: with three
 * workers, a 100 s file started last made the suite 100 s longer. Vitest orders by the durations of
 * the previous run in its cache, which a fresh clone (CI) does not have, and then by file size, which
 * says little of a file that starts processes: test/durations.json holds a run's durations (seconds).
 * It needs no upkeep to stay correct, only to stay fast: a file it does not name runs after those it names.
 */
const DURATIONS = JSON.parse(readFileSync(new URL('./durations.json', import.meta.url), 'utf8')) as Record<string, number>;

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const byCache = await super.sort(files);
    const weight = (f: TestSpecification) => DURATIONS[relative(f.project.config.root, f.moduleId)] ?? -1;
    // Stable: among files durations.json does not name, the cache's order stays.
    return byCache
      .map((f, i) => ({ f, i, w: weight(f) }))
      .sort((a, b) => b.w - a.w || a.i - b.i)
      .map(({ f }) => f);
  }
}
