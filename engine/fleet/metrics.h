// Prometheus text exposition (format 0.0.4) for `wsprobe run`: per-check status, last durations and
// certificate expiry, fleet-wide per-phase and lateness histograms with fixed buckets, and the
// engine's own counters; and the blackbox-exporter-compatible `/probe` body for one result.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/fleet/config.h"
#include "proto/check_result.h"

namespace wsp::fleet {

// Upper bounds in seconds (le) of the phase and lateness histograms; +Inf is implied.
inline constexpr std::array<double, 13> phase_buckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                      0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
inline constexpr std::array<double, 10> lateness_buckets{0.001, 0.005, 0.01, 0.025, 0.05,
                                                         0.1,   0.25,  0.5,  1.0,   5.0};

// A histogram over fixed bounds (at most 16). Counts are per bucket, made cumulative when rendered.
class fixed_histogram {
public:
    explicit fixed_histogram(std::span<const double> bounds) noexcept : bounds_(bounds) {}
    void observe(double value) noexcept;
    [[nodiscard]] std::span<const double> bounds() const noexcept { return bounds_; }
    // Observations at or below bounds()[i]; i == bounds().size() counts everything.
    [[nodiscard]] std::uint64_t cumulative(std::size_t i) const noexcept;
    [[nodiscard]] double sum() const noexcept { return sum_; }
    [[nodiscard]] std::uint64_t count() const noexcept { return count_; }

private:
    std::span<const double> bounds_;
    std::array<std::uint64_t, 17> counts_{};
    double sum_ = 0;
    std::uint64_t count_ = 0;
};

// The engine's own counters, kept by the scheduler and HTTP server and rendered as-is.
struct engine_counters {
    std::uint64_t checks_started = 0;
    std::uint64_t checks_completed = 0;
    std::uint64_t slots_skipped = 0; // runs not started because the previous one was still going
    std::uint64_t ssrf_refused = 0;
    std::uint64_t config_reloads = 0;
    std::uint64_t config_reload_failures = 0;
    std::uint64_t scrapes = 0;
};

struct metrics_options {
    // Also a phase-duration histogram per check. Costs 7 x 16 series per check: for small fleets.
    bool per_check_histograms = false;
};

// The metric state of a running fleet. Owned and used by one thread: results from other threads
// are handed to it. Label text is escaped once, when the checks are set.
class fleet_metrics {
public:
    explicit fleet_metrics(metrics_options options = {});

    // Adopts the checks of a (re)loaded configuration. Counters and last results of ids present
    // before are kept; removed ids are forgotten. Index i below is checks[i].
    void set_checks(std::span<const fleet_check> checks);
    // Records a finished run of checks[index]; out-of-range indexes are ignored.
    void record(std::size_t index, const proto::check_result& r) noexcept;
    // Records how late a run started (actual start - due time), clamped at 0.
    void record_lateness(std::int64_t lateness_ns) noexcept;
    [[nodiscard]] engine_counters& counters() noexcept { return counters_; }
    [[nodiscard]] const engine_counters& counters() const noexcept { return counters_; }

    // Appends the whole exposition to `out`. Allocates only to grow `out`.
    void render(std::string& out) const;

private:
    struct check_state {
        std::string id;
        std::string labels; // `check="id",k="v"`, escaped
        double interval_seconds = 0;
        bool has_result = false;
        proto::check_status status = proto::check_status::down;
        std::array<std::optional<std::int64_t>, proto::phase_count> phase_ns{};
        std::int64_t total_ns = 0;
        std::optional<std::int64_t> rtt_ns;
        std::optional<std::int64_t> cert_expiry; // Unix seconds, earliest in the chain
        std::array<std::uint64_t, 3> runs{};     // by status
        std::vector<fixed_histogram> phases;     // per_check_histograms only
    };

    void render_check_families(std::string& out) const;

    metrics_options options_;
    std::vector<check_state> checks_;
    std::vector<fixed_histogram> phase_hist_;
    fixed_histogram lateness_;
    engine_counters counters_;
};

// The body of `GET /probe?target=...&module=...` for one result, in the blackbox exporter's names
// (probe_success, probe_duration_seconds, probe_timeout_seconds, probe_dns_lookup_time_seconds,
// probe_ip_protocol, probe_ip_addr_hash, probe_http_ssl, probe_http_version, probe_ssl_*,
// probe_tls_*_info, probe_websocket_*) with the finer phases tls, upgrade, app_init, rtt and close
// beside resolve, connect, processing and transfer. `timeout_seconds` is the effective timeout.
[[nodiscard]] std::string render_probe_response(const proto::check_result& r, double timeout_seconds);

} // namespace wsp::fleet
