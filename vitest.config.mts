import { defineConfig } from 'vitest/config';

// Four projects, by what a test file touches (docs/architecture.md):
// - unit: pure code, no addon, no /proc or /sys;
// - process: the addon and this process's own memory, never ksmd or a system-wide setting;
// - system: ksmd, system-wide counters and settings (vm.max_map_count), which every such test
//   shares with the others on this one kernel;
// - install: the packed package installed into empty projects (npm, a compiler, ~1 min).
// Unit and process files run first, two at a time; then the system files, one at a time; then
// the install files, whose compiling would otherwise slow the timed waits of the others.
const shared = {
  // Native addons and worker-thread pools do not mix well: each test file gets its own process.
  pool: 'forks' as const,
  // Tests of memory going back after garbage collection call gc().
  execArgv: ['--expose-gc'],
  testTimeout: 60_000,
  hookTimeout: 60_000,
};

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'unit', include: ['test/unit/**/*.test.ts'], maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { test: { ...shared, name: 'process', include: ['test/process/**/*.test.ts'], maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { test: { ...shared, name: 'system', include: ['test/system/**/*.test.ts'], maxWorkers: 1, sequence: { groupOrder: 1 } } },
      { test: { ...shared, name: 'install', include: ['test/install/**/*.test.ts'], maxWorkers: 1, sequence: { groupOrder: 2 }, testTimeout: 300_000, hookTimeout: 120_000 } },
    ],
  },
});
