#!/usr/bin/env bash
# Sets up, builds (release) and runs the main job: the runtime self-check, then `wsprobe check`
# against the bundled lab server's healthy and broken scenarios on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
build/release/tools/wsprobe selfcheck
