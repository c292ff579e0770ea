#!/usr/bin/env bash
# scripts/install-cross-tools.sh (root, Debian/Ubuntu): what packing and test/install need
# beyond a native build: the other CPU's cross compiler, for its prebuild (scripts/prebuild.sh),
# and on x64 qemu-user with Debian's arm64 glibc and libstdc++, to run the arm64 prebuild in an
# arm64 Node. Installs only what is missing, through apt.
set -euo pipefail
case "$(uname -m)" in
  x86_64) packages=(g++-aarch64-linux-gnu qemu-user libc6-arm64-cross libstdc++6-arm64-cross) ;;
  aarch64) packages=(g++-x86-64-linux-gnu) ;;
  *) echo "install-cross-tools: no prebuild targets this CPU's cross tools ($(uname -m))" >&2; exit 1 ;;
esac
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-cross-tools: ${packages[*]} already installed"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
