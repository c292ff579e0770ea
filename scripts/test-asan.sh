#!/usr/bin/env bash
# npm run test:asan: the whole suite against a build of the addon with AddressSanitizer and
# UndefinedBehaviorSanitizer. Node itself is not instrumented, so the sanitizer runtimes are
# preloaded; the tests' child processes inherit the same environment. The build goes to
# build-asan/ so the Release build in build/ stays as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build-asan
rm -rf "$out"
mkdir -p "$out"
cp binding.gyp "$out/"
cp -r native "$out/"
ln -s ../node_modules "$out/node_modules"
(
  cd "$out"
  CXXFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
  LDFLAGS="-fsanitize=address,undefined" \
    node node_modules/node-gyp/bin/node-gyp.js rebuild --debug
)
export NODE_KSM_ADDON_PATH="$PWD/$out/build/Debug/ksm.node"
export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
# Leak detection is off: at exit LeakSanitizer reports Node's own never-freed allocations.
# The addon's memory is checked by the lifecycle and soak tests instead (mappings and RSS).
# A small quarantine, so memory freed by Node comes back and the RSS checks still mean something.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:quarantine_size_mb=16"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
npm test
