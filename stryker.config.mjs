// npm run test:mutation: StrykerJS plants small bugs in the pure modules (parsers and page
// arithmetic, argument checks, errors, kernel versions, the prebuild choice), one at a time, and
// runs the unit tests against each. A mutant no test kills is a behaviour no test guards; below
// the break threshold the run fails.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'test/unit/vitest.config.mts' },
  mutate: ['lib/kernel/parse.ts', 'lib/args.ts', 'lib/errors.ts', 'lib/kernel/platform.ts', 'lib/kernel/prebuild.ts'],
  coverageAnalysis: 'perTest',
  thresholds: { high: 95, low: 90, break: 90 },
  reporters: ['clear-text', 'progress'],
  tempDirName: 'build-stryker',
  concurrency: 2,
  ignorePatterns: ['build-asan', 'build-stryker', 'dist'],
};
