import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Every test file gets its own process: the native addon, kernel locks and
    // waiter threads of one file must not leak into another's measurements.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
