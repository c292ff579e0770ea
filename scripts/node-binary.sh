#!/usr/bin/env bash
# scripts/node-binary.sh MAJOR [ARCH]: prints the directory holding bin/node of the newest
# release of Node.js MAJOR for ARCH (x64 or arm64; this machine's by default), fetched once from
# the npm registry's node-linux-<arch> package into a cache outside the repo
# (NODE_KSM_NODE_CACHE, default /var/tmp/node-ksm-node: tests run some children as an
# unprivileged user, who must be able to run them, so not under ~root).
set -euo pipefail
major=$1
arch=${2:-}
if [ -z "$arch" ]; then
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "node-binary: the npm registry has no Node.js package for $(uname -m)" >&2; exit 1 ;;
  esac
fi
cache=${NODE_KSM_NODE_CACHE:-/var/tmp/node-ksm-node}
version=$(npm view "node-linux-$arch@$major" version --json |
  node -e 'const v = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log([].concat(v).pop())')
dir="$cache/$version-$arch"
if [ ! -x "$dir/bin/node" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-$arch@$version" >/dev/null)
  mkdir -p "$dir.partial"
  tar xzf "$tmp"/*.tgz -C "$dir.partial" --strip-components=1
  chmod -R a+rX "$cache"
  rm -rf "$tmp" "$dir"
  mv "$dir.partial" "$dir"
fi
echo "$dir"
