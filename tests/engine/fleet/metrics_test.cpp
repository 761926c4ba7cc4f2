#include "engine/fleet/metrics.h"

#include <gtest/gtest.h>

#include "tests/engine/fleet/config_support.h"
#include "tests/engine/fleet/exposition_check.h"

using namespace wsp::fleet;
using wsp::proto::check_result;
using wsp::proto::check_status;
using wsp::proto::phase;

namespace {

fleet_config two_checks()
{
    auto cfg = wsp::fleet::test::parse(R"({"checks": [
        {"id": "chat-eu", "url": "wss://eu.example.com/", "interval": "30s",
         "labels": {"region": "eu \"west\"\\n", "team": "line\nbreak"},
         "headers": {"Authorization": "Bearer TOPSECRET-metrics"}},
        {"id": "chat-us", "url": "ws://us.example.com/", "interval": "1m"}
    ]})");
    EXPECT_TRUE(cfg);
    return *cfg;
}

check_result up_result()
{
    check_result r;
    r.status = check_status::up;
    r.code = "ok";
    r.set_duration(phase::dns, 2'000'000);
    r.set_duration(phase::tcp, 1'000'000);
    r.set_duration(phase::tls, 30'000'000);
    r.set_duration(phase::upgrade, 4'000'000);
    r.set_duration(phase::rtt, 700'000);
    r.total_ns = 40'000'000;
    r.rtt_ns = 700'000;
    wsp::proto::tls_info t;
    t.chain_not_after = "2026-01-31T00:00:00Z";
    r.tls = t;
    return r;
}

} // namespace

TEST(fixed_histogram, cumulative_buckets)
{
    fixed_histogram h(phase_buckets);
    h.observe(0.0005);
    h.observe(0.001); // le is inclusive
    h.observe(0.3);
    h.observe(100.0);
    EXPECT_EQ(h.cumulative(0), 2u);
    EXPECT_EQ(h.cumulative(6), 2u);  // le 0.1
    EXPECT_EQ(h.cumulative(7), 2u);  // le 0.25
    EXPECT_EQ(h.cumulative(8), 3u);  // le 0.5
    EXPECT_EQ(h.cumulative(12), 3u); // le 10
    EXPECT_EQ(h.cumulative(13), 4u); // +Inf
    EXPECT_EQ(h.count(), 4u);
    EXPECT_DOUBLE_EQ(h.sum(), 100.3015);
}

TEST(fleet_metrics, renders_well_formed_exposition)
{
    const fleet_config cfg = two_checks();
    fleet_metrics m;
    m.set_checks(cfg.checks);
    m.record(0, up_result());
    check_result down;
    down.status = check_status::down;
    down.set_duration(phase::dns, 1'000'000);
    m.record(1, down);
    m.record(1, down);
    m.record(7, down); // ignored
    m.record_lateness(3'000'000);
    m.record_lateness(-5);
    m.counters().checks_started = 3;
    m.counters().config_reload_failures = 1;

    std::string out;
    m.render(out);
    const auto e = wsp::fleet::test::read_exposition(out);
    ASSERT_EQ(e.problem, "") << out;
    EXPECT_EQ(out.find("TOPSECRET"), std::string::npos);

    const std::string eu = R"(check="chat-eu",region="eu \"west\"\\n",team="line\nbreak")";
    EXPECT_EQ(e.samples.at("wsprobe_check_up{" + eu + "}"), 1);
    EXPECT_EQ(e.samples.at(R"(wsprobe_check_up{check="chat-us"})"), 0);
    EXPECT_EQ(e.samples.at("wsprobe_check_status{" + eu + R"(,status="up"})"), 1);
    EXPECT_EQ(e.samples.at("wsprobe_check_status{" + eu + R"(,status="down"})"), 0);
    EXPECT_EQ(e.samples.at(R"(wsprobe_check_status{check="chat-us",status="down"})"), 1);
    EXPECT_DOUBLE_EQ(e.samples.at("wsprobe_check_last_phase_duration_seconds{" + eu + R"(,phase="tls"})"),
                     0.03);
    EXPECT_EQ(e.samples.count("wsprobe_check_last_phase_duration_seconds{" + eu + R"(,phase="close"})"), 0u);
    EXPECT_DOUBLE_EQ(e.samples.at("wsprobe_check_last_rtt_seconds{" + eu + "}"), 0.0007);
    EXPECT_EQ(e.samples.at("wsprobe_check_cert_expiry_timestamp_seconds{" + eu + "}"), 1769817600);
    EXPECT_EQ(e.samples.at("wsprobe_check_interval_seconds{" + eu + "}"), 30);
    EXPECT_EQ(e.samples.at(R"(wsprobe_check_interval_seconds{check="chat-us"})"), 60);
    EXPECT_EQ(e.samples.at(R"(wsprobe_check_runs_total{check="chat-us",status="down"})"), 2);
    EXPECT_EQ(e.samples.at(R"(wsprobe_phase_duration_seconds_count{phase="dns"})"), 3);
    EXPECT_EQ(e.samples.at(R"(wsprobe_phase_duration_seconds_bucket{phase="dns",le="0.001"})"), 2);
    EXPECT_EQ(e.samples.at(R"(wsprobe_phase_duration_seconds_bucket{phase="dns",le="+Inf"})"), 3);
    EXPECT_EQ(e.samples.at(R"(wsprobe_scheduler_lateness_seconds_bucket{le="0.001"})"),
              1); // negative clamped
    EXPECT_EQ(e.samples.at(R"(wsprobe_scheduler_lateness_seconds_bucket{le="0.005"})"), 2);
    EXPECT_EQ(e.samples.at("wsprobe_checks_configured"), 2);
    EXPECT_EQ(e.samples.at("wsprobe_checks_started_total"), 3);
    EXPECT_EQ(e.samples.at(R"(wsprobe_config_reloads_total{result="failure"})"), 1);
    EXPECT_EQ(e.types.at("wsprobe_check_runs_total"), "counter");
    EXPECT_EQ(e.types.at("wsprobe_phase_duration_seconds"), "histogram");
    EXPECT_EQ(e.types.count("wsprobe_check_phase_duration_seconds"), 0u); // opt-in only
}

TEST(fleet_metrics, per_check_histograms_on_request)
{
    const fleet_config cfg = two_checks();
    fleet_metrics m({.per_check_histograms = true});
    m.set_checks(cfg.checks);
    m.record(0, up_result());
    std::string out;
    m.render(out);
    const auto e = wsp::fleet::test::read_exposition(out);
    ASSERT_EQ(e.problem, "") << out;
    EXPECT_EQ(e.samples.at(R"(wsprobe_check_phase_duration_seconds_count{check="chat-us",phase="tls"})"), 0);
    EXPECT_EQ(
        e.samples.at(
            R"(wsprobe_check_phase_duration_seconds_bucket{check="chat-eu",region="eu \"west\"\\n",team="line\nbreak",phase="tls",le="0.05"})"),
        1);
}

TEST(fleet_metrics, reload_keeps_state_of_surviving_ids)
{
    fleet_config cfg = two_checks();
    fleet_metrics m;
    m.set_checks(cfg.checks);
    m.record(1, up_result());
    // chat-us moves to index 0, chat-eu goes away, a new check arrives.
    fleet_config next;
    next.checks.push_back(cfg.checks[1]);
    next.checks.push_back(cfg.checks[0]);
    next.checks[1].id = "new";
    m.set_checks(next.checks);
    std::string out;
    m.render(out);
    const auto e = wsp::fleet::test::read_exposition(out);
    ASSERT_EQ(e.problem, "") << out;
    EXPECT_EQ(e.samples.at(R"(wsprobe_check_runs_total{check="chat-us",status="up"})"), 1);
    EXPECT_EQ(e.samples.count(R"(wsprobe_check_up{check="new",region="eu \"west\"\\n",team="line\nbreak"})"),
              0u);
    EXPECT_EQ(out.find("chat-eu"), std::string::npos);
}
