// The `/metrics` exposition of a running fleet (Prometheus text format 0.0.4): families grouped,
// HELP and TYPE once per family, histograms as cumulative _bucket{le} with _sum and _count.
#include "engine/fleet/metrics.h"

#include <unordered_map>

#include "engine/fleet/detail/text.h"

namespace wsp::fleet {
namespace {

using detail::append_family;

constexpr double ns_to_s(std::int64_t ns) noexcept
{
    return static_cast<double>(ns) / 1e9;
}

std::string label_text(const fleet_check& c)
{
    std::string out = "check=\"";
    detail::append_label_value(out, c.id);
    out += '"';
    for (const auto& [name, value] : c.labels) {
        out += ',';
        out += name;
        out += "=\"";
        detail::append_label_value(out, value);
        out += '"';
    }
    return out;
}

// A series' labels: the check's escaped labels plus at most one more pair, written without
// building a temporary string.
struct series_labels {
    std::string_view base;
    std::string_view extra_name = {};
    std::string_view extra_value = {};

    // Appends the labels (no braces); returns whether anything was written.
    bool append(std::string& out) const
    {
        out += base;
        if (extra_name.empty()) {
            return !base.empty();
        }
        if (!base.empty()) {
            out += ',';
        }
        out += extra_name;
        out += "=\"";
        detail::append_label_value(out, extra_value);
        out += '"';
        return true;
    }
};

template <class Value>
void sample(std::string& out, std::string_view name, std::string_view suffix, const series_labels& labels,
            Value v)
{
    out += name;
    out += suffix;
    out += '{';
    if (!labels.append(out)) {
        out.pop_back();
    } else {
        out += '}';
    }
    out += ' ';
    detail::append_number(out, v);
    out += '\n';
}

void histogram(std::string& out, std::string_view name, const series_labels& labels, const fixed_histogram& h)
{
    const auto bounds = h.bounds();
    for (std::size_t i = 0; i <= bounds.size(); ++i) {
        out += name;
        out += "_bucket{";
        if (labels.append(out)) {
            out += ',';
        }
        out += "le=\"";
        if (i < bounds.size()) {
            detail::append_number(out, bounds[i]);
        } else {
            out += "+Inf";
        }
        out += "\"} ";
        detail::append_number(out, h.cumulative(i));
        out += '\n';
    }
    sample(out, name, "_sum", labels, h.sum());
    sample(out, name, "_count", labels, h.count());
}

std::string_view phase_name(std::size_t p) noexcept
{
    return proto::to_string(static_cast<proto::phase>(p));
}
std::string_view status_name(std::size_t s) noexcept
{
    return proto::to_string(static_cast<proto::check_status>(s));
}

} // namespace

void fixed_histogram::observe(double value) noexcept
{
    std::size_t i = 0;
    while (i < bounds_.size() && i < counts_.size() - 1 && value > bounds_[i]) {
        ++i;
    }
    ++counts_[i];
    sum_ += value;
    ++count_;
}

std::uint64_t fixed_histogram::cumulative(std::size_t i) const noexcept
{
    std::uint64_t total = 0;
    for (std::size_t k = 0; k <= i && k < counts_.size(); ++k) {
        total += counts_[k];
    }
    return total;
}

fleet_metrics::fleet_metrics(metrics_options options) : options_(options), lateness_(lateness_buckets)
{
    phase_hist_.assign(proto::phase_count, fixed_histogram(phase_buckets));
}

void fleet_metrics::set_checks(std::span<const fleet_check> checks)
{
    std::unordered_map<std::string_view, std::size_t> old;
    old.reserve(checks_.size());
    for (std::size_t i = 0; i < checks_.size(); ++i) {
        old.emplace(checks_[i].id, i);
    }
    std::vector<check_state> next(checks.size());
    for (std::size_t i = 0; i < checks.size(); ++i) {
        auto it = old.find(checks[i].id);
        if (it != old.end()) {
            next[i] = std::move(checks_[it->second]);
        } else {
            next[i].id = checks[i].id;
        }
        next[i].labels = label_text(checks[i]);
        next[i].interval_seconds = static_cast<double>(checks[i].interval.count()) / 1e3;
        if (options_.per_check_histograms && next[i].phases.empty()) {
            next[i].phases.assign(proto::phase_count, fixed_histogram(phase_buckets));
        }
    }
    checks_ = std::move(next);
}

void fleet_metrics::record(std::size_t index, const proto::check_result& r) noexcept
{
    if (index >= checks_.size()) {
        return;
    }
    check_state& c = checks_[index];
    c.has_result = true;
    c.status = r.status;
    c.phase_ns = r.phase_ns;
    c.total_ns = r.total_ns;
    c.rtt_ns = r.rtt_ns;
    c.cert_expiry.reset();
    if (r.tls) {
        c.cert_expiry = detail::parse_utc_timestamp(r.tls->chain_not_after);
    }
    ++c.runs[static_cast<std::size_t>(r.status)];
    for (std::size_t p = 0; p < proto::phase_count; ++p) {
        if (!r.phase_ns[p]) {
            continue;
        }
        phase_hist_[p].observe(ns_to_s(*r.phase_ns[p]));
        if (!c.phases.empty()) {
            c.phases[p].observe(ns_to_s(*r.phase_ns[p]));
        }
    }
}

void fleet_metrics::record_lateness(std::int64_t lateness_ns) noexcept
{
    lateness_.observe(ns_to_s(lateness_ns < 0 ? 0 : lateness_ns));
}

void fleet_metrics::render_check_families(std::string& out) const
{
    append_family(out, "wsprobe_check_up", "gauge", "1 when the last run was up or degraded, 0 when down.");
    for (const auto& c : checks_) {
        if (c.has_result) {
            sample(out, "wsprobe_check_up", "", {c.labels},
                   c.status == proto::check_status::down ? 0.0 : 1.0);
        }
    }
    append_family(out, "wsprobe_check_status", "gauge",
                  "The status of the last run: 1 for it, 0 for the others.");
    for (const auto& c : checks_) {
        for (std::size_t s = 0; c.has_result && s < 3; ++s) {
            sample(out, "wsprobe_check_status", "", {c.labels, "status", status_name(s)},
                   static_cast<std::size_t>(c.status) == s ? 1.0 : 0.0);
        }
    }
    append_family(out, "wsprobe_check_last_duration_seconds", "gauge", "Duration of the last run.");
    for (const auto& c : checks_) {
        if (c.has_result) {
            sample(out, "wsprobe_check_last_duration_seconds", "", {c.labels}, ns_to_s(c.total_ns));
        }
    }
    append_family(out, "wsprobe_check_last_phase_duration_seconds", "gauge",
                  "Duration of each phase of the last run.");
    for (const auto& c : checks_) {
        for (std::size_t p = 0; p < proto::phase_count; ++p) {
            if (c.phase_ns[p]) {
                sample(out, "wsprobe_check_last_phase_duration_seconds", "",
                       {c.labels, "phase", phase_name(p)}, ns_to_s(*c.phase_ns[p]));
            }
        }
    }
    append_family(out, "wsprobe_check_last_rtt_seconds", "gauge", "The frame round trip of the last run.");
    for (const auto& c : checks_) {
        if (c.rtt_ns) {
            sample(out, "wsprobe_check_last_rtt_seconds", "", {c.labels}, ns_to_s(*c.rtt_ns));
        }
    }
    append_family(out, "wsprobe_check_cert_expiry_timestamp_seconds", "gauge",
                  "When the earliest certificate of the chain expires, in seconds since the Unix epoch.");
    for (const auto& c : checks_) {
        if (c.cert_expiry) {
            sample(out, "wsprobe_check_cert_expiry_timestamp_seconds", "", {c.labels}, *c.cert_expiry);
        }
    }
    append_family(out, "wsprobe_check_interval_seconds", "gauge", "The configured interval of the check.");
    for (const auto& c : checks_) {
        sample(out, "wsprobe_check_interval_seconds", "", {c.labels}, c.interval_seconds);
    }
    append_family(out, "wsprobe_check_runs_total", "counter", "Finished runs of the check by status.");
    for (const auto& c : checks_) {
        for (std::size_t s = 0; s < 3; ++s) {
            sample(out, "wsprobe_check_runs_total", "", {c.labels, "status", status_name(s)}, c.runs[s]);
        }
    }
}

void fleet_metrics::render(std::string& out) const
{
    render_check_families(out);
    if (options_.per_check_histograms) {
        append_family(out, "wsprobe_check_phase_duration_seconds", "histogram", "Phase durations per check.");
        for (const auto& c : checks_) {
            for (std::size_t p = 0; p < c.phases.size(); ++p) {
                histogram(out, "wsprobe_check_phase_duration_seconds", {c.labels, "phase", phase_name(p)},
                          c.phases[p]);
            }
        }
    }
    append_family(out, "wsprobe_phase_duration_seconds", "histogram", "Phase durations over every check.");
    for (std::size_t p = 0; p < phase_hist_.size(); ++p) {
        histogram(out, "wsprobe_phase_duration_seconds", {"", "phase", phase_name(p)}, phase_hist_[p]);
    }
    append_family(out, "wsprobe_scheduler_lateness_seconds", "histogram",
                  "How late runs started after their due time.");
    histogram(out, "wsprobe_scheduler_lateness_seconds", {""}, lateness_);

    const engine_counters& k = counters_;
    const auto counter = [&out](std::string_view name, std::string_view help, std::uint64_t v) {
        append_family(out, name, "counter", help);
        sample(out, name, "", {""}, v);
    };
    append_family(out, "wsprobe_checks_configured", "gauge", "Checks this instance runs.");
    sample(out, "wsprobe_checks_configured", "", {""}, static_cast<std::uint64_t>(checks_.size()));
    counter("wsprobe_checks_started_total", "Runs started.", k.checks_started);
    counter("wsprobe_checks_completed_total", "Runs finished.", k.checks_completed);
    counter("wsprobe_schedule_slots_skipped_total",
            "Runs not started because the previous run of the check was still going.", k.slots_skipped);
    counter("wsprobe_ssrf_refused_total", "Connections the SSRF guard refused.", k.ssrf_refused);
    append_family(out, "wsprobe_config_reloads_total", "counter", "Configuration reloads by result.");
    sample(out, "wsprobe_config_reloads_total", "", {"", "result", "success"}, k.config_reloads);
    sample(out, "wsprobe_config_reloads_total", "", {"", "result", "failure"}, k.config_reload_failures);
    counter("wsprobe_scrapes_total", "Scrapes of /metrics and /probe served.", k.scrapes);
}

} // namespace wsp::fleet
