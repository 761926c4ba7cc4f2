// A synthetic load run for the report tests: a ramp to 500 open connections over 12 seconds, a
// few failures (one quoting hostile markup) and drops, latencies recorded in every histogram.
#pragma once

#include <cmath>
#include <string>

#include "engine/load/report.h"

namespace wsp::load::test {

inline run_report synthetic_report(std::size_t seconds = 12)
{
    run_report r;
    r.config.url = "ws://127.0.0.1:9000/echo?x=<b>&y=\"q\"";
    r.config.connections = 500;
    r.config.rate = 50;
    r.config.ramp_s = 2;
    r.config.duration_s = static_cast<double>(seconds);
    r.config.threads = 2;
    r.config.ping_interval_s = 1;
    r.config.source = "127.0.0.2-127.0.0.9";
    r.config.http2 = "off";
    r.elapsed_s = static_cast<double>(seconds);
    std::uint64_t open = 0;
    for (std::size_t i = 0; i < seconds; ++i) {
        sample s;
        s.t_s = static_cast<double>(i + 1);
        s.started = i < 10 ? 50 : 0;
        s.failed = i % 4 == 1 ? 2 : 0;
        s.dropped = i == 7 ? 3 : 0;
        s.succeeded = s.started - s.failed;
        open += s.succeeded;
        open -= s.dropped;
        s.open = open;
        s.messages = open;
        s.upgrade_p50_ns = s.started > 0 ? 1'200'000 + static_cast<std::int64_t>(i) * 50'000 : 0;
        s.upgrade_p99_ns = s.started > 0 ? 4'000'000 + static_cast<std::int64_t>(i % 3) * 900'000 : 0;
        s.established_p50_ns = s.upgrade_p50_ns + 300'000;
        s.established_p99_ns = s.upgrade_p99_ns + 600'000;
        s.rtt_p50_ns =
            150'000 + static_cast<std::int64_t>(std::lround(std::sin(static_cast<double>(i)) * 20'000));
        s.rtt_p99_ns = 600'000;
        r.timeline.push_back(s);
    }
    auto& st = r.stats;
    for (int i = 0; i < 494; ++i) {
        st.of(metric::connect).record(80'000 + i * 100);
        st.of(metric::upgrade).record(1'000'000 + i * 8'000);
        st.of(metric::established).record(1'300'000 + i * 8'000);
        st.of(metric::rtt).record(140'000 + i * 900);
    }
    st.counts.attempted = 500;
    st.counts.succeeded = 494;
    st.add_failure(proto::phase::upgrade, "unexpected_status",
                   "Server returned 503 <script>alert('x')</script>; expected 101 Switching Protocols");
    for (int i = 0; i < 5; ++i) {
        st.add_failure(proto::phase::tcp, "refused", "Connection refused by 127.0.0.1:9000");
    }
    st.add_drop(1006);
    st.add_drop(1006);
    st.add_drop(4000);
    st.counts.closed = 489;
    st.counts.unclean_closes = 2;
    st.counts.pings_sent = 5000;
    st.counts.pongs_received = 4990;
    return r;
}

} // namespace wsp::load::test
