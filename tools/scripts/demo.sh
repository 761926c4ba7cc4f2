#!/usr/bin/env bash
# Sets up, builds (release) and runs the main job: the runtime self-check, then `wsprobe check`
# against the bundled lab server's healthy and broken scenarios, all on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target wsprobe wsprobe-lab

bin=build/release/tools
"$bin/wsprobe" selfcheck
echo

out=$(mktemp)
tls=$(mktemp -d)
"$bin/wsprobe-lab" --listen 127.0.0.1:0 --tls-dir "$tls" >"$out" &
lab=$!
trap 'kill "$lab" 2>/dev/null || true; wait "$lab" 2>/dev/null || true; rm -rf "$out" "$tls"' EXIT
for _ in $(seq 100); do
    grep -q 'tls: h2)' "$out" && break
    sleep 0.05
done
base=$(sed -n 's/.*listening on \(ws:\/\/[^ ]*\)$/\1/p' "$out" | head -n 1)
wss() { sed -n "s/.*listening on \(wss:\/\/[^ ]*\) (tls: $1).*/\1/p" "$out"; }
[[ -n "$base" ]] || { echo "demo: wsprobe-lab did not start" >&2; exit 1; }
echo "wsprobe-lab is serving its scenarios at $base"
echo

run() {
    echo "\$ wsprobe check $*"
    "$bin/wsprobe" check "$@" || echo "(exit code $?)"
    echo
}
run "$base/echo" --rtt echo
run "$base/subprotocol?select=graphql-transport-ws" --expect-subprotocol graphql-transport-ws --rtt echo
run "$base/status/200"
run "$base/status/401" -H "Authorization: Bearer demo-secret" --verbose
run "$base/bad-accept"
run "$base/no-upgrade"
run "$base/subprotocol?select=graphql-ws" --expect-subprotocol graphql-transport-ws
run "$base/close-after-upgrade?code=4401&reason=token%20lacks%20scope"
run "$base/silent" --rtt echo --rtt-timeout 1s
run "$base/slow-echo?ms=300" --rtt echo
run "$base/idle-kill?ms=200" --rtt any
run "$base/echo" --send '{"op":"status"}' --expect-json /op=status
run "$base/echo" --json --rtt ping

echo "--- wss:// (the lab's local CA is $tls/ca.pem)"
echo
run "$(wss valid)/echo" --ca "$tls/ca.pem" --rtt echo
run "$(wss expired)/echo" --ca "$tls/ca.pem"
run "$(wss wrong-host)/echo" --ca "$tls/ca.pem"
run "$(wss expired)/echo" --ca "$tls/ca.pem" --insecure
run "$(wss expiring)/echo" --ca "$tls/ca.pem"

echo "--- HTTP/2 (RFC 8441): extended CONNECT, both transports side by side, many streams on one connection"
echo
run "$(wss h2)/echo" --ca "$tls/ca.pem" --http2 require --rtt echo
run "$base/echo" --http2 prior-knowledge --rtt echo
run "$(wss h2)/echo" --ca "$tls/ca.pem" --compare-transports --rtt echo
run "$(wss h2)/echo" --ca "$tls/ca.pem" --h2-streams 5 --rtt echo
run "$base/h2/reset?code=7" --h2-streams 3

echo "--- wsprobe load: 2,000 validated connections at 1,000/s, held with pings, then the wrong Accept"
echo
echo "\$ wsprobe load $base/echo -c 2000 --rate 1000 --duration 4s --ping-interval 1s --report $tls/load.html"
"$bin/wsprobe" load "$base/echo" -c 2000 --rate 1000 --duration 4s --ping-interval 1s --quiet \
    --report "$tls/load.html" || echo "(exit code $?)"
echo
echo "\$ wsprobe load $base/bad-accept -c 200 --rate 400 --duration 2s"
"$bin/wsprobe" load "$base/bad-accept" -c 200 --rate 400 --duration 2s --quiet || echo "(exit code $?)"
