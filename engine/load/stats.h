// What a load run measured: per-phase latency histograms, failures by phase and code, drops
// during hold by close code, and a once-per-second timeline. Mergeable across reactors.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/load/histogram.h"
#include "proto/check_result.h"

namespace wsp::load {

// Latencies the load run records. `connect` is DNS + TCP; `established` runs from the
// connection's scheduled start (open-loop arrivals, so queueing delay counts) to the validated
// upgrade; `rtt` is each echo/ping round trip during the run.
enum class metric : std::uint8_t { connect = 0, tls = 1, upgrade = 2, established = 3, rtt = 4 };
inline constexpr std::size_t metric_count = 5;
[[nodiscard]] std::string_view to_string(metric m) noexcept;

struct failure_count {
    std::uint64_t count = 0;
    std::string example; // the first failure's sentence, as `check` would print it
};

// Totals. Invariants kept by the driver: attempted = succeeded + failed + in_progress, failed =
// sum of failures' counts and, once the run is over, succeeded = closed + unclean_closes +
// dropped + cut_by_interrupt.
struct totals {
    std::uint64_t attempted = 0; // connections started (scheduled and begun)
    std::uint64_t succeeded = 0; // upgraded and validated (and app init / first RTT passed)
    std::uint64_t failed = 0;    // failed before being established
    std::uint64_t dropped = 0;   // established, then closed by the server or the network
    std::uint64_t closed = 0;    // established and closed by us at the end, cleanly
    // Established and held to the end, but our close handshake did not complete: no close frame
    // back within the close bound, or the connection failed while closing.
    std::uint64_t unclean_closes = 0;
    // Established and still held when the run was interrupted (SIGINT): closed without the
    // handshake by our own cancellation, not counted against the server.
    std::uint64_t cut_by_interrupt = 0;
    std::uint64_t messages_sent = 0;
    std::uint64_t messages_received = 0;
    std::uint64_t pings_sent = 0;
    std::uint64_t pongs_received = 0;
    std::uint64_t late_starts = 0; // arrivals that began more than 1 ms after their schedule
};

// One reactor's (or the merged) measurements.
struct load_stats {
    std::array<histogram, metric_count> latency{};
    totals counts;
    // Keyed "phase/code", e.g. "upgrade/accept_mismatch".
    std::map<std::string, failure_count> failures;
    // Drops during hold keyed by close code (1006: no close frame, the TCP connection ended).
    std::map<std::uint16_t, std::uint64_t> drops_by_code;

    [[nodiscard]] histogram& of(metric m) noexcept { return latency[static_cast<std::size_t>(m)]; }
    [[nodiscard]] const histogram& of(metric m) const noexcept
    {
        return latency[static_cast<std::size_t>(m)];
    }
    // Counts one connection that failed before being established under "phase/code" and in
    // counts.failed; the first sentence per key is kept as its example (clipped to 300 bytes).
    void add_failure(proto::phase p, std::string_view code, std::string_view sentence);
    // Counts one established connection cut by the server or the network, in drops_by_code and
    // counts.dropped.
    void add_drop(std::uint16_t close_code);
    // Adds `o` (histograms, totals, failures, drops). Fails only when the histograms' precisions
    // differ (errc::precision_mismatch); `*this` may then be partly merged.
    [[nodiscard]] wsp::expected<void> merge(const load_stats& o);
};

// One second of the run (every second from start to end, merged over reactors).
struct sample {
    double t_s = 0;              // seconds since the run started, at the end of this second
    std::uint64_t open = 0;      // established connections open at the end of the second
    std::uint64_t started = 0;   // connections started in this second
    std::uint64_t succeeded = 0; // established in this second
    std::uint64_t failed = 0;    // failed in this second
    std::uint64_t dropped = 0;   // dropped in this second
    std::uint64_t messages = 0;  // messages received in this second
    // Percentiles of what completed in this second (0 when nothing did), nanoseconds.
    std::int64_t upgrade_p50_ns = 0, upgrade_p99_ns = 0;
    std::int64_t established_p50_ns = 0, established_p99_ns = 0;
    std::int64_t rtt_p50_ns = 0, rtt_p99_ns = 0;
};

} // namespace wsp::load
