import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Processes the tests spawn (bin/digest.js) run the compiled dist/: build it from today's src/ first.
    globalSetup: ['test/global-setup.ts'],
    // A bound, not a timing assert: process tests start `digest` several times, and every wait inside
    // a test has its own bound.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // Two cores: more forks than that only make PGlite start-ups and PostgreSQL compete.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
