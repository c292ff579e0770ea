// The unit tests alone, for StrykerJS (npm run test:mutation), which runs them once per mutant.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/unit/**/*.test.ts'],
    pool: 'forks',
  },
});
