// npm run lint: ESLint's and typescript-eslint's recommended rules over every script of the
// repo, without type information (pretest's tsc runs already type-check lib/ and test/), and a
// column limit for lib/.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // What .gitignore lists: ESLint does not read it.
  { ignores: ['dist/', 'build/', 'build-asan/', 'build-stryker/', 'reports/', 'prebuilds/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // lib/ compiles to CommonJS, and its few require()s are deliberate: optional or lazy
      // modules (prom-client, the preload hook's); fixtures and scripts are CommonJS.
      '@typescript-eslint/no-require-imports': 'off',
      // `const { dropped, ...rest } = value` is how a field is left out of a copy.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  {
    // The CLI tests match terminal control sequences on purpose.
    files: ['test/**'],
    rules: { 'no-control-regex': 'off' },
  },
  {
    files: ['lib/**'],
    // A URL cannot be wrapped: an export's TSDoc is one line linking to its section of docs/api.md.
    rules: { 'max-len': ['error', { code: 120, tabWidth: 2, ignoreUrls: true }] },
  },
);
