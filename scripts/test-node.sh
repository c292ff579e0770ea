#!/usr/bin/env bash
# npm run test:node [-- MAJOR...]: the unit, process and system projects under each Node.js
# version users run (22, 24 and 26 unless named), closing with one line per version. The
# binaries are the npm registry's (scripts/node-binary.sh). The addon is the one `npm install`
# built: it is Node-API, so one build serves every version, and nothing here compiles.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(uname -s)" != Linux ]; then
  echo "test:node skipped: the registry's node-linux-* binaries run on Linux only"
  exit 0
fi
if [ ! -f build/Release/ksm.node ] || [ ! -d dist ]; then
  echo "test:node: build first (npm install)" >&2
  exit 1
fi
majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(22 24 26)
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

summary=()
status=0
for major in "${majors[@]}"; do
  dir=$(bash scripts/node-binary.sh "$major")
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
