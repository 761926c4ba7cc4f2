// The load driver: open-loop connection arrivals over a cluster of reactors, every connection
// validated exactly as `wsprobe check` validates it, then held (pings, messages, echo latency)
// until the run ends; measurements merged into a run_report.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/load/report.h"
#include "engine/runtime/address.h"
#include "proto/check_spec.h"
#include "proto/error.h"
#include "tls/context.h"

namespace wsp::load {

// A parsed --slo: "<metric>_p<NN>[.N]<<duration>", e.g. upgrade_p99<250ms, rtt_p99.9<20ms.
struct slo_spec {
    metric what = metric::upgrade;
    double percentile = 99;
    std::int64_t below_ns = 0;
    std::string text;             // as given
};

struct load_options {
    proto::check_spec spec;            // URL and every probe option (--http2, headers, TLS, ...)
    std::uint64_t connections = 100;   // -c: connections to open in all
    double rate = 0;                   // --rate: arrivals per second; 0: as fast as the engine goes
    double ramp_s = 0;                 // --ramp: seconds over which the rate rises linearly from 0
    double duration_s = 10;            // --duration: the whole run, arrivals included
    std::optional<double> hold_s;      // --hold: keep each connection this long (none: to the end)
    double ping_interval_s = 0;        // --ping-interval: 0 = no pings (idle survival when holding)
    double message_rate = 0;           // --message-rate: messages per second per connection
    std::string payload = "wsprobe";   // --payload: text message sent at message_rate (echo timed)
    bool preset_messages = false;      // use the app preset's RTT message instead of the payload
    unsigned threads = 0;              // --threads: reactors (0: one per core); more rings are
                                       // added when connections exceed a ring's descriptor table
    std::vector<rt::address> sources;  // --source: local addresses connections are spread over
    std::optional<slo_spec> slo;       // --slo: capacity search instead of one fixed run
    double slo_step_s = 5;             // --slo-step: seconds per step of the capacity search
    const tls::context* tls = nullptr; // client context for wss:// (outlives the run); null: built
                                       // by the driver from spec.tls
};

// Called about once per second from the thread that called run_load, with the second just
// finished and the running error count (for the live progress line).
using progress_fn = std::function<void(const sample&, std::uint64_t errors_total)>;

// Runs the load described by `o` and returns its report. Blocks the calling thread (which must
// not be a reactor thread). SIGINT/SIGTERM end the run early with report.interrupted set.
// Errors: configuration the engine cannot meet (e.g. no io_uring, bad source address), with the
// sentence in `*why` when given; failures of individual connections are counted in the report,
// not returned. Reactors: max(threads, ceil(connections / usable slots of one ring's
// direct-descriptor table, which RLIMIT_NOFILE caps)); connection k starts at its scheduled
// time on reactor k mod reactors, from source k mod sources.
[[nodiscard]] wsp::expected<run_report> run_load(const load_options& o, const progress_fn& progress,
                                                 std::string* why = nullptr);

// Parses an --slo text; the error is a sentence naming what is wrong.
[[nodiscard]] wsp::expected<slo_spec> parse_slo(std::string_view text, std::string* why);

} // namespace wsp::load
