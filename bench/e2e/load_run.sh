#!/usr/bin/env bash
# Issue #9: `wsprobe load` holding many idle ws:// connections against wsprobe-lab on this
# machine. Prints connections held at once, user-space RSS per held connection
# ((VmRSS while held - VmRSS before the first connection) / held), connection rate during the
# ramp, client CPU per connection (utime + stime while held / held) and the lab's RSS per
# connection; the median of REPS runs, then every run. Also the peak RSS of the whole run and
# the time from the end of the hold to the client's exit (every close handshake). Builds nothing.
#
#   bench/e2e/load_run.sh [BUILD_DIR]          (default build/release)
#   env: CONNECTIONS=200000 RATE=5000 HOLD_S=10 REPS=3 SOURCE=127.0.0.2-127.0.0.60
#        LAB_THREADS (default: one ring per 18,750 connections, plus one)
#        CLIENT=load (wsprobe load) | hold (bench/e2e/hold_bench: the runtime alone)
#
# The lab and every client are stopped on exit, also on failure or interrupt.
set -euo pipefail

build=${1:-build/release}
conns=${CONNECTIONS:-200000}
# wsprobe load falls behind its open-loop schedule above ~5,000/s on a shared 2-core machine
# (late_starts in the run lines); hold_bench keeps 20,000/s.
rate=${RATE:-5000}
hold_s=${HOLD_S:-10}
reps=${REPS:-3}
source_range=${SOURCE:-127.0.0.2-127.0.0.60}
client_kind=${CLIENT:-load}
wsprobe=$build/tools/wsprobe
lab=$build/tools/wsprobe-lab
hold_bench=$build/bench/e2e/hold_bench

for exe in "$lab" "$([ "$client_kind" = hold ] && echo "$hold_bench" || echo "$wsprobe")"; do
    if [ ! -x "$exe" ]; then
        echo "load_run.sh: $exe is missing; build it first" \
             "(cmake --build $build --target wsprobe wsprobe-lab hold_bench)" >&2
        exit 2
    fi
done

# A lab ring accepts up to its descriptor table (RLIMIT_NOFILE) minus a 1/16 burst reserve.
nofile=$(ulimit -Hn)
per_ring=$(( nofile - (nofile / 16 > 64 ? nofile / 16 : 64) ))
lab_threads=${LAB_THREADS:-$(( (conns + per_ring - 1) / per_ring + 1 ))}
ramp_s=$(python3 -c "import math; print(math.ceil($conns / $rate))")
duration_s=$(( ramp_s + hold_s ))

work=$(mktemp -d /tmp/load_run.XXXXXX)
lab_pid=""
client_pid=""
cleanup() {
    for pid in $client_pid $lab_pid; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
    for pid in $client_pid $lab_pid; do
        for _ in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
slab_kb() { awk '/^Slab:/ {print $2}' /proc/meminfo; }
threads_of() { awk '/^Threads:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# utime + stime in clock ticks (fields 14 and 15, after the parenthesised command name).
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}' || echo 0; }

echo "== limits"
echo "RLIMIT_NOFILE soft/hard: $(ulimit -Sn)/$(ulimit -Hn) (each ring's direct-descriptor table)"
for f in fs/file-max fs/nr_open net/core/somaxconn net/ipv4/tcp_max_syn_backlog \
         net/ipv4/ip_local_port_range net/ipv4/tcp_mem; do
    echo "$f: $(tr '\t' ' ' < /proc/sys/$f)"
done
echo "memory: $(awk '/MemTotal|MemAvailable/ {printf "%s %d MiB  ", $1, $2 / 1024}' /proc/meminfo)"
echo "cpus: $(nproc)"
echo "== setup: $conns connections at $rate/s (ramp ${ramp_s}s, hold ${hold_s}s), sources $source_range," \
     "lab threads $lab_threads, client $client_kind"


# Starts a fresh lab (its pools keep the previous run's memory) and sets port and lab_base.
start_lab() {
    : > "$work/lab.out"
    "$lab" --listen 127.0.0.1:0 --threads "$lab_threads" > "$work/lab.out" 2> "$work/lab.err" &
    lab_pid=$!
    port=""
    for _ in $(seq 100); do
        port=$(sed -n 's|^wsprobe-lab listening on ws://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$work/lab.out")
        [ -n "$port" ] && break
        sleep 0.05
    done
    if [ -z "$port" ]; then
        echo "load_run.sh: the lab did not start: $(cat "$work/lab.err")" >&2
        exit 1
    fi
    sleep 0.3
    lab_base=$(rss_kb "$lab_pid")
}

stop_lab() {
    kill -TERM "$lab_pid" 2>/dev/null || true
    wait "$lab_pid" 2>/dev/null || true
    lab_pid=""
}

# Samples "ms threads rss_kb cpu_ticks" of $1 every few ms (2 ms wait plus the reads) until it exits.
sample() {
    local pid=$1 out=$2 start line
    start=$(date +%s%N)
    exec 9<> <(:)
    while kill -0 "$pid" 2>/dev/null; do
        line="$(( ($(date +%s%N) - start) / 1000000 )) $(threads_of "$pid") $(rss_kb "$pid")"
        echo "$line $(cpu_ticks "$pid")" >> "$out"
        read -r -t 0.002 -u 9 _ || true
    done
}

for rep in $(seq "$reps"); do
    start_lab
    samples=$work/samples.$rep
    : > "$samples"
    slab_base=$(slab_kb)
    if [ "$client_kind" = hold ]; then
        "$hold_bench" --target "127.0.0.1:$port" -c "$conns" --rate "$rate" --source "$source_range" \
            --threads "$(( (conns + nofile - 1000 - 1) / (nofile - 1000) ))" --hold "$hold_s" \
            > "$work/out.$rep" 2> "$work/err.$rep" &
    else
        "$wsprobe" load "ws://127.0.0.1:$port/echo" -c "$conns" --rate "$rate" --source "$source_range" \
            --hold --duration "${duration_s}s" --json > "$work/out.$rep" 2> "$work/err.$rep" &
    fi
    client_pid=$!
    sample "$client_pid" "$samples" &
    sampler_pid=$!
    # Snapshot in the middle of the hold: every connection is up, none is closing yet.
    sleep "$(python3 -c "print($ramp_s + $hold_s / 2)")"
    lab_held=$(rss_kb "$lab_pid")
    slab_held=$(slab_kb)
    set +e
    wait "$client_pid"
    client_rc=$?
    set -e
    client_pid=""
    wait "$sampler_pid" 2>/dev/null || true
    python3 - "$client_kind" "$work/out.$rep" "$samples" "$lab_base" "$lab_held" "$client_rc" "$rep" \
        "$(getconf CLK_TCK)" "$(( (ramp_s + hold_s / 2) * 1000 ))" "$slab_base" "$slab_held" \
        "$(( (ramp_s + hold_s) * 1000 ))" >> "$work/results" <<'EOF'
import json, sys
kind, out, samples, lab_base, lab_held, rc, rep, hz, snap_ms, slab_base, slab_held, end_ms = sys.argv[1:]
rows = [list(map(int, l.split())) for l in open(samples) if len(l.split()) == 4]
if not rows:
    print(json.dumps({"rep": int(rep), "error": "no samples"})); sys.exit()
top_threads = max(r[1] for r in rows)
# Before the first connection: the first sample with every reactor thread up (the driver
# schedules its first arrival 20 ms after the cluster has started).
base = next(r for r in rows if r[1] == top_threads)
held_row = min(rows, key=lambda r: abs(r[0] - int(snap_ms)))
res = {"rep": int(rep), "exit": int(rc)}
if kind == "hold":
    kv = dict(l.strip().split("=", 1) for l in open(out) if "=" in l)
    held = int(kv.get("held", 0))
    res["rate"] = float(kv.get("connect_rate_per_s", 0))
else:
    d = json.load(open(out))
    tl = d.get("timeline", [])
    held = max([d["idle"]["held"]] + [s["open"] for s in tl])
    # Ramp time: when the open count first reached its peak, interpolated within that second.
    prev_t, prev_open, ramp = 0, 0, None
    for s in tl:
        if s["open"] >= held:
            span = max(s["open"] - prev_open, 1)
            ramp = prev_t + (s["t_s"] - prev_t) * (held - prev_open) / span
            break
        prev_t, prev_open = s["t_s"], s["open"]
    res["rate"] = held / ramp if ramp else 0
    res["failed"] = d["totals"]["failed"]
    res["late_starts"] = d["totals"]["late_starts"]
    res["dropped"] = d["totals"]["dropped"]
    res["unclean_closes"] = d["totals"].get("unclean_closes", 0)
res["held"] = held
res["rss_base_kb"] = base[2]
res["rss_held_kb"] = held_row[2]
res["rss_peak_kb"] = max(r[2] for r in rows)
# From the scheduled end of the hold (counted from the first sample, which precedes the run's
# start by the client's set-up) to the last sample: the closes and the exit.
res["close_s"] = max(0, rows[-1][0] - rows[0][0] - int(end_ms)) / 1000
res["rss_per_held_b"] = (held_row[2] - base[2]) * 1024 / held if held else 0
res["cpu_us_per_conn"] = held_row[3] / int(hz) * 1e6 / held if held else 0
res["lab_per_conn_b"] = (int(lab_held) - int(lab_base)) * 1024 / held if held else 0
# Kernel slab (sockets, files, skbs) of both ends, machine-wide: other processes add noise.
res["kernel_slab_per_conn_b"] = (int(slab_held) - int(slab_base)) * 1024 / held if held else 0
print(json.dumps(res))
EOF
    tail -1 "$work/results"
    stop_lab
done

echo "== runs"
cat "$work/results"
python3 - "$work/results" "$conns" <<'EOF'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
runs = [r for r in runs if "held" in r]
if not runs:
    print("no run produced figures"); sys.exit(1)
med = lambda k: statistics.median(r[k] for r in runs)
print(f"== median of {len(runs)} run(s)")
print(f"connections held at once:        {med('held'):.0f} of {sys.argv[2]}")
print(f"user-space RSS per held conn:    {med('rss_per_held_b'):.0f} B")
print(f"connection rate (ramp):          {med('rate'):.0f} /s")
print(f"client CPU per connection:       {med('cpu_us_per_conn'):.1f} us")
print(f"lab RSS per connection:          {med('lab_per_conn_b'):.0f} B")
print(f"kernel slab per connection:      {med('kernel_slab_per_conn_b'):.0f} B (both ends, machine-wide)")
print(f"peak RSS (closing included):     {med('rss_peak_kb') / 1024:.1f} MiB")
print(f"end of hold to exit (closes):    {med('close_s'):.2f} s")
EOF
