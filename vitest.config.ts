import { defineConfig } from 'vitest/config';
import LongestFirst from './test/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Processes the tests spawn (bin/digest.js) run the compiled dist/: build it from today's src/ first.
    globalSetup: ['test/global-setup.ts'],
    // Each file parses feeds with that compiled dist/ too (test/setup.ts).
    setupFiles: ['test/setup.ts'],
    // A bound, not a timing assert: process tests start `digest` several times, and every wait inside
    // a test has its own bound.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // Test files share their worker process (no fresh process and module graph per file): loading
    // the service's modules again for each of the 130 files was a fifth of the suite's CPU, and the
    // idle embedded engine (test/helpers/database.ts) passes from file to file. Every test still
    // gets a database of its own; what files share is the loaded modules and what they hold.
    pool: 'forks',
    isolate: false,
    // Three on two cores: much of a process test's time is spent waiting on the processes it starts.
    maxWorkers: 3,
    // The longest files first (test/durations.json).
    sequence: { sequencer: LongestFirst },
    reporters: ['default'],
  },
});
