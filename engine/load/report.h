// Rendering a load run: the live progress line, the final summary table, the --json summary and
// the self-contained --report HTML page (inline SVG charts, no external assets). Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/load/stats.h"

namespace wsp::load {

// What was asked for, echoed in every output. Secrets are never part of it.
struct run_config {
    std::string url;             // as given, with any userinfo removed
    std::uint64_t connections = 0;  // -c target
    double rate = 0;             // arrivals per second (0: as fast as possible)
    double ramp_s = 0;           // seconds to ramp the rate up linearly
    double duration_s = 0;       // total run time
    double hold_s = 0;           // how long each connection is held
    double ping_interval_s = 0;  // 0: no pings
    double message_rate = 0;     // messages per second per connection (0: none)
    unsigned threads = 1;
    std::string source;          // "127.0.0.2-127.0.0.60" or empty
    std::string http2;           // off|prefer|require|prior-knowledge
    std::string slo;             // e.g. "upgrade_p99<250ms", empty when none
};

// --slo capacity search: each step ran at `rate` arrivals/s and met the SLO or not.
struct slo_step {
    double rate = 0;
    std::int64_t measured_ns = 0;
    bool held = false;
    std::uint64_t failed = 0;
};
struct slo_result {
    std::string slo;
    std::vector<slo_step> steps;
    std::optional<double> highest_rate_held; // none: even the first step broke it
};

// Idle survival (--hold without pings): when the held connections were cut.
struct idle_survival {
    std::uint64_t held = 0;
    std::uint64_t cut = 0;
    std::int64_t first_cut_after_ns = 0;  // idle time before the first cut, 0 if none
    std::int64_t median_cut_after_ns = 0; // 0 if none
};

struct run_report {
    run_config config;
    load_stats stats;
    std::vector<sample> timeline;
    std::optional<slo_result> slo;
    std::optional<idle_survival> idle;
    double elapsed_s = 0;
    bool interrupted = false;    // SIGINT/SIGTERM ended the run early
};

// "12.0s open 48213 rate 5012/s upgrade p50 1.2ms p99 8.4ms rtt p99 0.4ms errors 3" (no newline).
[[nodiscard]] std::string progress_line(const sample& s, std::uint64_t errors_total);
// The final human summary (multi-line, ends with a newline): totals, latency table (count, min,
// p50, p90, p99, p99.9, max per metric), failures by phase/code with an example sentence, drops
// by close code, SLO and idle-survival sections when present.
[[nodiscard]] std::string summary_text(const run_report& r);
// One JSON object (see docs/json-load.md): config, totals, latency percentiles per metric plus each
// histogram's encode() form, failures, drops, timeline, slo, idle.
[[nodiscard]] std::string summary_json(const run_report& r);
// A complete HTML5 document with inline CSS and inline SVG charts: connections open over time,
// rate (started/succeeded/failed per second), latency percentiles over time (upgrade and rtt p50
// and p99), the totals table and failures. Each chart is an <svg> with id chart-connections,
// chart-rate, chart-latency. No script or network fetch is needed to view it.
[[nodiscard]] std::string report_html(const run_report& r);

} // namespace wsp::load
