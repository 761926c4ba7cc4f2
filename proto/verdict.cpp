#include "proto/verdict.h"

#include <cstdio>

namespace wsp::proto {
namespace {

std::int64_t to_ns(millis m) { return static_cast<std::int64_t>(m.count()) * 1'000'000; }

void degrade(check_result& r, std::string why)
{
    r.status = check_status::degraded;
    r.warnings.push_back(std::move(why));
}

} // namespace

std::string format_ms(std::int64_t ns)
{
    char buf[32];
    const double ms = static_cast<double>(ns) / 1e6;
    if (ms < 100.0) {
        std::snprintf(buf, sizeof buf, "%.1f ms", ms);
    } else {
        std::snprintf(buf, sizeof buf, "%.0f ms", ms);
    }
    return buf;
}

void apply_thresholds(check_result& r, const check_thresholds& t)
{
    if (r.status == check_status::down) {
        return;
    }
    if (auto up = r.duration(phase::upgrade); up && *up > to_ns(t.handshake_degraded)) {
        degrade(r, "Upgrade took " + format_ms(*up) + " (degraded above " +
                       std::to_string(t.handshake_degraded.count()) + " ms)");
    }
    if (auto init = r.duration(phase::app_init); init && *init > to_ns(t.app_init_degraded)) {
        degrade(r, "App-protocol init took " + format_ms(*init) + " (degraded above " +
                       std::to_string(t.app_init_degraded.count()) + " ms)");
    }
    if (r.rtt_ns && *r.rtt_ns > to_ns(t.rtt_degraded)) {
        degrade(r, "Round trip took " + format_ms(*r.rtt_ns) + " (degraded above " +
                       std::to_string(t.rtt_degraded.count()) + " ms)");
    }
    if (t.connect_degraded) {
        std::int64_t connect = 0;
        for (phase p : {phase::dns, phase::tcp, phase::tls}) {
            connect += r.duration(p).value_or(0);
        }
        if (connect > to_ns(*t.connect_degraded)) {
            degrade(r, "Connect took " + format_ms(connect) + " (degraded above " +
                           std::to_string(t.connect_degraded->count()) + " ms)");
        }
    }
}

} // namespace wsp::proto
