#!/usr/bin/env bash
# Installs the Debian packages wsprobe needs to build, test and benchmark.
# Idempotent: prints what it installs, and does nothing when all are present.
# Usage: tools/scripts/setup.sh [--test]   (--test adds the servers the interop tests start)
set -euo pipefail

build_pkgs=(build-essential cmake ninja-build pkg-config
            liburing-dev libssl-dev libnghttp2-dev libsimdjson-dev libc-ares-dev libexpected-dev
            libgtest-dev libgmock-dev libbenchmark-dev)
test_pkgs=(clang-14 libclang-rt-14-dev nginx-light mosquitto prometheus nghttp2-proxy python3 openssl chromium)

want=("${build_pkgs[@]}")
[[ "${1:-}" == "--test" ]] && want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if ((${#missing[@]} == 0)); then
    echo "setup: all ${#want[@]} packages present"
    exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
