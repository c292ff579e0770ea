import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native addons and worker-thread pools do not mix well: each test file gets its own process.
    pool: 'forks',
    // Tests of memory going back after garbage collection call gc().
    execArgv: ['--expose-gc'],
    // Several files start ksmd and read system-wide counters; there is one kernel, so files
    // run one at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
