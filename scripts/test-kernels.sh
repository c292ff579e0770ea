#!/usr/bin/env bash
# npm run test:kernels [-- GENERATION...]: the whole suite as each kernel generation users run
# would present itself (5.15, 6.1, 6.4, 6.6, 6.8, and the running kernel): in a private mount
# namespace whose /sys/kernel/mm/ksm holds only the files that kernel had (bind-mounted from the
# real attributes, so ksmd still obeys), with test/kernels/present-as.c preloaded so that
# uname, prctl(PR_SET/GET_MEMORY_MERGE), ioctl(PAGEMAP_SCAN), /proc/<pid>/ksm_stat and
# ksm_merging_pages answer as that kernel's did.
# The install tests are left out: they ask npm and a compiler, never the kernel.
# Needs root (mount namespaces); elsewhere it says so and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ] || [ "$(uname -s)" != Linux ] || [ ! -d /sys/kernel/mm/ksm ]; then
  echo "test:kernels skipped: it needs root on Linux with KSM (mount namespaces, ksmd)"
  exit 0
fi
generations=("$@")
[ ${#generations[@]} -gt 0 ] || generations=(5.15 6.1 6.4 6.6 6.8 running)

# The files of /sys/kernel/mm/ksm and the release that added each (docs/api.md, SystemStats).
at_least() { [ "$major" -gt "$1" ] || { [ "$major" -eq "$1" ] && [ "$minor" -ge "$2" ]; }; }
files_of() {
  major=${1%%.*} minor=${1#*.}
  echo run pages_to_scan sleep_millisecs pages_shared pages_sharing pages_unshared pages_volatile full_scans
  at_least 3 9 && echo merge_across_nodes
  at_least 4 11 && echo use_zero_pages
  at_least 4 13 && echo max_page_sharing stable_node_chains stable_node_dups stable_node_chains_prune_millisecs
  at_least 6 4 && echo general_profit
  at_least 6 6 && echo ksm_zero_pages
  at_least 6 7 && echo smart_scan pages_skipped pages_scanned
  at_least 6 8 && echo advisor_mode advisor_max_cpu advisor_target_scan_time advisor_min_pages_to_scan advisor_max_pages_to_scan
  return 0
}

work=$(mktemp -d)
# Tests run some children as an unprivileged user (nobody): they must load the preload too.
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
cc -shared -fPIC -O2 -Wall -o "$work/present-as.so" test/kernels/present-as.c -ldl
summary=()
status=0
for generation in "${generations[@]}"; do
  echo "=== test:kernels: as Linux $generation"
  results="$work/$generation.json"
  if [ "$generation" = running ]; then
    npx vitest run --project unit --project process --project system --reporter=default --reporter=json --outputFile="$results" || status=1
  else
    # shellcheck disable=SC2046
    unshare --mount --propagation private bash -euc '
      dir=$1; generation=$2; preload=$3; results=$4; shift 4
      mount -t tmpfs ksm-files "$dir"
      for file in "$@"; do
        [ -e "/sys/kernel/mm/ksm/$file" ] || continue
        touch "$dir/$file"
        mount --bind "/sys/kernel/mm/ksm/$file" "$dir/$file"
      done
      mount --rbind "$dir" /sys/kernel/mm/ksm
      KSM_TEST_KERNEL=$generation LD_PRELOAD=$preload \
        npx vitest run --project unit --project process --project system --reporter=default --reporter=json --outputFile="$results"
    ' _ "$(mktemp -d -p "$work")" "$generation" "$work/present-as.so" "$results" $(files_of "$generation") || status=1
  fi
  summary+=("Linux $generation: $(node scripts/vitest-summary.cjs "$results" 2>/dev/null || echo "no results")")
done
echo "=== test:kernels"
printf '%s\n' "${summary[@]}"
exit "$status"
