#!/usr/bin/env bash
# Sets up, builds (debug: ASan+UBSan, warnings as errors) and runs every test with ctest.
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/scripts/setup.sh --test
jobs=$(nproc)
cmake --preset debug >/dev/null
cmake --build --preset debug -j "$jobs"
ctest --preset debug -j "$jobs"
