#!/usr/bin/env bash
# Runs the end-to-end check benchmark at 1, 100 and 1000 checks in flight against wsprobe-lab
# (release build) on 127.0.0.1. usage: bench/e2e/run.sh [checks per run]
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-20000}
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target check_bench wsprobe-lab >/dev/null
out=$(mktemp)
build/release/tools/wsprobe-lab --listen 127.0.0.1:0 >"$out" &
lab=$!
trap 'kill "$lab" 2>/dev/null || true; wait "$lab" 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 100); do grep -q 'listening on' "$out" && break; sleep 0.05; done
base=$(sed -n 's/.*listening on \(ws:\/\/[^ ]*\).*/\1/p' "$out" | head -n 1)
for c in 1 100 1000; do
    build/release/bench/e2e/check_bench "$base/echo" --rtt echo --concurrency "$c" --checks "$n"
done
