#!/usr/bin/env bash
# npm run build:prebuilds [-- TARGET...]: builds prebuilds/<target>/ksm.node for each target the
# package ships (linux-x64-glibc, linux-arm64-glibc unless named), which `npm pack` and `npm
# publish` then include (prepack runs this); they are never committed. Each is compiled in a
# scratch copy of the sources, so the checkout's own build/ stays as it was: natively where the
# target is this machine's CPU, else with Debian's cross compiler (g++-aarch64-linux-gnu,
# g++-x86-64-linux-gnu). Stripped, and checked against the glibc baseline
# (scripts/check-elf-baseline.mjs). A target whose prebuild is newer than every source and build
# file is kept: packing twice compiles once. docs/deployment.md, "Prebuilt addons", is the why.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(linux-x64-glibc linux-arm64-glibc)
host=$(node -p process.arch)
# The running Node's own headers where they are installed beside it (no download), as the
# install script does; else node-gyp fetches them.
prefix=$(dirname "$(dirname "$(node -p process.execPath)")")
nodedir=()
[ -f "$prefix/include/node/node_api.h" ] && nodedir=(--nodedir="$prefix")

for target in "${targets[@]}"; do
  out="prebuilds/$target/ksm.node"
  if [ -f "$out" ] && [ -z "$(find binding.gyp native scripts/prebuild.sh package-lock.json -newer "$out" -print -quit)" ]; then
    echo "prebuild: $out is up to date"
    continue
  fi
  case "$target" in
    linux-x64-glibc) arch=x64 triplet=x86_64-linux-gnu ;;
    linux-arm64-glibc) arch=arm64 triplet=aarch64-linux-gnu ;;
    *) echo "prebuild: no recipe for $target (the package ships linux-x64-glibc and linux-arm64-glibc)" >&2; exit 1 ;;
  esac
  if [ "$arch" = "$host" ]; then
    cc=gcc cxx=g++ strip=strip
  else
    cc=$triplet-gcc cxx=$triplet-g++ strip=$triplet-strip
    if ! command -v "$cxx" >/dev/null; then
      echo "prebuild: $target needs the cross compiler $cxx (Debian: apt-get install g++-${triplet//_/-}, or scripts/install-cross-tools.sh)" >&2
      exit 1
    fi
  fi
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp -r binding.gyp native "$work/"
  ln -s "$PWD/node_modules" "$work/node_modules"
  echo "prebuild: $target with $cxx"
  (cd "$work" && CC=$cc CXX=$cxx LINK=$cxx node node_modules/node-gyp/bin/node-gyp.js rebuild --arch="$arch" "${nodedir[@]}" >build.log 2>&1) ||
    { cat "$work/build.log" >&2; exit 1; }
  mkdir -p "prebuilds/$target"
  "$strip" --strip-unneeded -o "$out.partial" "$work/build/Release/ksm.node"
  node scripts/check-elf-baseline.mjs "$out.partial"
  mv "$out.partial" "$out"
  rm -rf "$work"
done
