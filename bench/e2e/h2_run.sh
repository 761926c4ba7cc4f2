#!/usr/bin/env bash
# RFC 8441 checks one connection per check versus K streams per connection (issue #6): starts
# wsprobe-lab and, in front of it, Debian's nghttpx (h2 over TLS and h2c, extended CONNECT on its
# frontend, the lab behind it over HTTP/1.1), runs h2_mux_bench over h2c and over TLS, and stops
# both. Release build. usage: bench/e2e/h2_run.sh [checks per run] [K] [checks in flight] [reps]
#   BUILD=dir (default build-h2mux-rel)   LAB=path to a wsprobe-lab binary (default: built here)
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-2000}
k=${2:-50}
c=${3:-100}
reps=${4:-3}
build=${BUILD:-build-h2mux-rel}
nghttpx=/usr/sbin/nghttpx
[ -x "$nghttpx" ] || { echo "h2_run.sh: nghttpx is not installed (apt-get install nghttp2-proxy)" >&2; exit 3; }
if [ -z "${LAB:-}" ]; then
    cmake --build "$build" -j 2 --target wsprobe-lab >/dev/null
    LAB=$build/tools/wsprobe-lab
fi
cmake --build "$build" -j 2 --target h2_mux_bench >/dev/null

dir=$(mktemp -d /tmp/wsprobe-h2bench-XXXXXX)
lab=
ngx=
# Stops both servers whatever happened (a killed server's exit status must not end the trap early).
stop() {
    set +e
    for pid in $ngx $lab; do
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    rm -rf "$dir"
}
trap stop EXIT

"$LAB" --listen 127.0.0.1:0 --tls-dir "$dir/tls" >"$dir/lab.out" 2>&1 &
lab=$!
for _ in $(seq 200); do grep -q 'listening on ws://' "$dir/lab.out" && break; sleep 0.05; done
lab_port=$(sed -n 's/.*listening on ws:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/lab.out" | head -n 1)
[ -n "$lab_port" ] || { echo "h2_run.sh: the lab did not start" >&2; cat "$dir/lab.out" >&2; exit 3; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
tls_port=$(free_port)
h2c_port=$(free_port)
# One worker, like the lab's one reactor; no access log (its I/O would be measured as the proxy's).
"$nghttpx" --conf=/dev/null --frontend="127.0.0.1,$tls_port" --frontend="127.0.0.1,$h2c_port;no-tls" \
    --backend="127.0.0.1,$lab_port" --no-ocsp --workers=1 --errorlog-file="$dir/nghttpx.log" \
    "$dir/tls/nginx-key.pem" "$dir/tls/nginx.pem" 2>>"$dir/nghttpx.log" &
ngx=$!
for port in "$tls_port" "$h2c_port"; do
    for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
done

bench=$build/bench/e2e/h2_mux_bench
common=(--rtt echo --k "$k" --concurrency "$c" --checks "$n" --reps "$reps")
echo "# h2c (prior knowledge) via nghttpx: $n checks, $c in flight, K=$k"
"$bench" "ws://127.0.0.1:$h2c_port/echo" --http2 prior-knowledge "${common[@]}"
echo "# h2 over TLS (ALPN h2, TLS_AES_128_GCM_SHA256) via nghttpx: $n checks, $c in flight, K=$k"
"$bench" "wss://127.0.0.1:$tls_port/echo" --ca "$dir/tls/ca.pem" --http2 require "${common[@]}"
