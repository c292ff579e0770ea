#!/usr/bin/env bash
# npm run test:asan: the whole suite against a build of the addon with AddressSanitizer and
# UndefinedBehaviorSanitizer. The package is copied to build-asan/pkg (the repo's own build/
# stays as it is) and its addon built there, as build/Release like any install, so the package
# loads it the one way it loads any build. Node itself is not instrumented, so the sanitizer
# runtimes are preloaded; the tests' child processes inherit the same environment.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
pkg=build-asan/pkg
rm -rf build-asan
mkdir -p "$pkg"
# What the tests need: sources, tests, bench, examples and docs they run or check, the build's
# inputs, and the lint's configs (npm test lints first; ESLint would otherwise find the repo's
# own config, which ignores build-asan/).
cp -r binding.gyp package.json tsconfig.json vitest.config.mts eslint.config.mjs .clang-format README.md CONTRIBUTING.md CHANGELOG.md LICENSE docs bin bench examples lib native scripts test "$pkg/"
ln -s "$root/node_modules" "$pkg/node_modules"
cd "$pkg"
CXXFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
LDFLAGS="-fsanitize=address,undefined" \
  node node_modules/node-gyp/bin/node-gyp.js rebuild
export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
# Leak detection is off: at exit LeakSanitizer reports Node's own never-freed allocations.
# The addon's memory is checked by the lifecycle and soak tests instead (mappings and RSS).
# A small quarantine, so memory freed by Node comes back and the RSS checks still mean something.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:quarantine_size_mb=16"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# The install tests build the package afresh with npm: nothing of this build is in them.
npm test -- --project unit --project process --project system
