import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A bound, not a timing assert: process tests start `digest` through tsx several times (5–10 s
    // each on a loaded 2-core machine), and every wait inside a test has its own bound.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // Two cores: more forks than that only make PGlite start-ups and PostgreSQL compete.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
