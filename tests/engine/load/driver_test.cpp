// The load driver: open-loop arrival times, configuration refusals, counts that add up against
// a refusing port, and (when the lab binary is built) held connections, pings, drops by close
// code and strict validation under load against wsprobe-lab on 127.0.0.1.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <numeric>

#include "engine/load/detail/shard.h"
#include "engine/load/driver.h"
#include "engine/load/errc.h"
#include "proto/url.h"
#include "tests/integration/net_util.h"
#include "tests/integration/process.h"

namespace wsp::load {
namespace {

using namespace std::chrono_literals;

load_options options_for(const std::string& url)
{
    load_options o;
    auto u = proto::parse_ws_url(url);
    EXPECT_TRUE(u.has_value()) << url;
    if (u) {
        o.spec.url = *u;
    }
    o.spec.timeouts.connect = std::chrono::milliseconds(2000);
    o.spec.timeouts.upgrade = std::chrono::milliseconds(2000);
    o.threads = 2;
    return o;
}

// Sum of failure counts, which must equal counts.failed.
std::uint64_t failure_sum(const load_stats& s)
{
    std::uint64_t n = 0;
    for (const auto& [key, f] : s.failures) {
        n += f.count;
    }
    return n;
}

void expect_counts_add_up(const run_report& r)
{
    const auto& c = r.stats.counts;
    EXPECT_EQ(c.attempted, c.succeeded + c.failed);
    EXPECT_EQ(c.failed, failure_sum(r.stats));
    EXPECT_EQ(c.succeeded, c.closed + c.unclean_closes + c.dropped + c.cut_by_interrupt);
    std::uint64_t drops = 0;
    for (const auto& [code, n] : r.stats.drops_by_code) {
        drops += n;
    }
    EXPECT_EQ(c.dropped, drops);
}

TEST(ArrivalSchedule, ConstantRateSpacesArrivalsEvenly)
{
    const detail::arrival_schedule s{100, 0};
    EXPECT_EQ(s.offset_ns(0), 0);
    EXPECT_EQ(s.offset_ns(1), 10'000'000);
    EXPECT_EQ(s.offset_ns(100), 1'000'000'000);
}

TEST(ArrivalSchedule, RampRisesLinearlyThenHoldsTheRate)
{
    // 100/s reached after 2 s: 100 arrivals during the ramp (the area of the triangle).
    const detail::arrival_schedule s{100, 2};
    EXPECT_EQ(s.offset_ns(0), 0);
    EXPECT_NEAR(static_cast<double>(s.offset_ns(25)), 1e9, 1e3); // sqrt(2 * 2 * 25 / 100) = 1 s
    EXPECT_NEAR(static_cast<double>(s.offset_ns(100)), 2e9, 1e3);
    EXPECT_NEAR(static_cast<double>(s.offset_ns(200)), 3e9, 1e3);
    for (std::uint64_t k = 1; k < 300; ++k) {
        EXPECT_GT(s.offset_ns(k), s.offset_ns(k - 1)) << k;
    }
}

TEST(ArrivalSchedule, RateZeroStartsEverythingAtOnce)
{
    const detail::arrival_schedule s{0, 5};
    EXPECT_EQ(s.offset_ns(0), 0);
    EXPECT_EQ(s.offset_ns(12345), 0);
}

TEST(SecondPart, MergesCountsAndPercentiles)
{
    detail::second_part a;
    detail::second_part b;
    a.started = 2;
    a.open = 3;
    a.upgrade.record(1'000'000);
    b.started = 5;
    b.open = 4;
    b.failed = 1;
    b.upgrade.record(3'000'000);
    a.add(b);
    const sample s = a.to_sample(4);
    EXPECT_EQ(s.started, 7U);
    EXPECT_EQ(s.failed, 1U);
    EXPECT_EQ(s.open, 7U);
    EXPECT_DOUBLE_EQ(s.t_s, 4);
    EXPECT_NEAR(static_cast<double>(s.upgrade_p99_ns), 3e6, 3e3);
    a.clear();
    EXPECT_EQ(a.started, 0U);
    EXPECT_EQ(a.open, 7); // open is a level, not a per-second count
    EXPECT_EQ(a.upgrade.count(), 0U);
}

TEST(RunLoad, RefusesConfigurationItCannotMeet)
{
    auto o = options_for("ws://127.0.0.1:9/");
    o.duration_s = 0;
    std::string why;
    auto r = run_load(o, {}, &why);
    ASSERT_FALSE(r.has_value());
    EXPECT_TRUE(r.error().is(errc::bad_config));
    EXPECT_NE(why.find("--duration"), std::string::npos) << why;

    o.duration_s = 1;
    o.connections = 0;
    r = run_load(o, {}, &why);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(why.find("-c"), std::string::npos) << why;

    o.connections = 1;
    o.rate = -1;
    r = run_load(o, {}, &why);
    ASSERT_FALSE(r.has_value());
}

TEST(RunLoad, RefusedConnectionsAreCountedAsTcpFailures)
{
    const wsp::test::refusing_port nobody;
    ASSERT_NE(nobody.port(), 0);
    auto o = options_for("ws://127.0.0.1:" + std::to_string(nobody.port()) + "/");
    o.connections = 30;
    o.rate = 0;
    o.duration_s = 0.5;
    std::vector<sample> seen;
    auto r = run_load(o, [&](const sample& s, std::uint64_t) { seen.push_back(s); });
    ASSERT_TRUE(r.has_value());
    expect_counts_add_up(*r);
    EXPECT_EQ(r->stats.counts.attempted, 30U);
    EXPECT_EQ(r->stats.counts.succeeded, 0U);
    ASSERT_EQ(r->stats.failures.count("tcp/connection_refused"), 1U);
    EXPECT_EQ(r->stats.failures.at("tcp/connection_refused").count, 30U);
    EXPECT_FALSE(r->stats.failures.at("tcp/connection_refused").example.empty());
    EXPECT_FALSE(r->interrupted);
    ASSERT_FALSE(seen.empty());
    const std::uint64_t started =
        std::accumulate(seen.begin(), seen.end(), std::uint64_t{0},
                        [](std::uint64_t n, const sample& s) { return n + s.started; });
    EXPECT_EQ(started, 30U);
    EXPECT_EQ(r->timeline.size(), seen.size());
    EXPECT_EQ(r->config.connections, 30U);
}

// The lab server from the build tree, when it is built next to these tests.
class LabRun : public ::testing::Test {
protected:
    void SetUp() override
    {
        const char* dir = std::getenv("WSP_BUILD_DIR");
        const std::string bin = dir != nullptr ? std::string(dir) + "/tools/wsprobe-lab" : std::string{};
        if (bin.empty() || !std::filesystem::exists(bin)) {
            GTEST_SKIP()
                << "wsprobe-lab is not built in WSP_BUILD_DIR; the lab runs are in integration_tests";
        }
        lab_ =
            std::make_unique<test::child_process>(std::vector<std::string>{bin, "--listen", "127.0.0.1:0"});
        auto line = lab_->read_line(10s);
        ASSERT_TRUE(line.has_value());
        const std::string prefix = "listening on ws://";
        const auto at = line->find(prefix);
        ASSERT_NE(at, std::string::npos) << *line;
        authority_ = line->substr(at + prefix.size());
    }
    [[nodiscard]] std::string url(const std::string& path) const { return "ws://" + authority_ + path; }

    std::unique_ptr<test::child_process> lab_;
    std::string authority_;
};

TEST_F(LabRun, HeldConnectionsArePingedAndClosedCleanly)
{
    auto o = options_for(url("/echo"));
    o.connections = 40;
    o.rate = 200;
    o.duration_s = 1.5;
    o.ping_interval_s = 0.25;
    auto r = run_load(o, {});
    ASSERT_TRUE(r.has_value());
    expect_counts_add_up(*r);
    EXPECT_EQ(r->stats.counts.succeeded, 40U);
    EXPECT_EQ(r->stats.counts.closed, 40U);
    EXPECT_GT(r->stats.counts.pings_sent, 40U);
    EXPECT_GT(r->stats.counts.pongs_received, 40U);
    EXPECT_GT(r->stats.of(metric::rtt).count(), 40U);
    EXPECT_EQ(r->stats.of(metric::established).count(), 40U);
    EXPECT_EQ(r->stats.of(metric::upgrade).count(), 40U);
    EXPECT_FALSE(r->idle.has_value()); // pings were sent: not an idle-survival run
}

TEST_F(LabRun, EchoMessagesAreTimed)
{
    auto o = options_for(url("/echo"));
    o.connections = 10;
    o.rate = 0;
    o.duration_s = 1;
    o.message_rate = 10;
    auto r = run_load(o, {});
    ASSERT_TRUE(r.has_value());
    expect_counts_add_up(*r);
    EXPECT_GT(r->stats.counts.messages_sent, 20U);
    EXPECT_GT(r->stats.counts.messages_received, 20U);
    EXPECT_GE(r->stats.of(metric::rtt).count(), r->stats.counts.messages_received - 10);
}

TEST_F(LabRun, PresetMessagesSendTheAppRequestAndTimeItsReply)
{
    // graphql-transport-ws: connection_init -> connection_ack validates; then {"type":"ping"}
    // -> {"type":"pong"} is the timed exchange. The payload would get no reply from this server.
    auto o = options_for(url("/app/graphql-transport-ws"));
    o.spec.app = proto::app_spec{proto::app::find_preset("graphql-transport-ws"), {}};
    ASSERT_NE(o.spec.app->preset, nullptr);
    o.spec.subprotocols = {"graphql-transport-ws"};
    o.connections = 5;
    o.duration_s = 1;
    o.message_rate = 10;
    o.preset_messages = true;
    auto r = run_load(o, {});
    ASSERT_TRUE(r.has_value());
    expect_counts_add_up(*r);
    ASSERT_EQ(r->stats.counts.succeeded, 5U)
        << (r->stats.failures.empty() ? "" : r->stats.failures.begin()->second.example);
    EXPECT_GT(r->stats.counts.messages_sent, 20U);
    EXPECT_GT(r->stats.counts.messages_received, 20U);
    EXPECT_GT(r->stats.of(metric::rtt).count(), 20U);
}

TEST_F(LabRun, WrongAcceptFailsEveryConnectionAtTheUpgrade)
{
    auto o = options_for(url("/bad-accept"));
    o.connections = 60;
    o.rate = 300;
    o.duration_s = 1;
    auto r = run_load(o, {});
    ASSERT_TRUE(r.has_value());
    expect_counts_add_up(*r);
    EXPECT_EQ(r->stats.counts.succeeded, 0U);
    ASSERT_EQ(r->stats.failures.count("upgrade/accept_mismatch"), 1U);
    EXPECT_EQ(r->stats.failures.at("upgrade/accept_mismatch").count, 60U);
}

TEST_F(LabRun, DropsDuringHoldAreCountedWithTheirCloseCode)
{
    auto o = options_for(url("/close-after-upgrade?code=4401"));
    o.connections = 20;
    o.duration_s = 1;
    auto r = run_load(o, {});
    ASSERT_TRUE(r.has_value());
    expect_counts_add_up(*r);
    EXPECT_EQ(r->stats.counts.succeeded, 20U);
    EXPECT_EQ(r->stats.counts.dropped, 20U);
    ASSERT_EQ(r->stats.drops_by_code.count(4401), 1U);
    EXPECT_EQ(r->stats.drops_by_code.at(4401), 20U);
}

TEST_F(LabRun, IdleCutsAreReportedWithTheirIdleTime)
{
    auto o = options_for(url("/idle-kill?ms=300"));
    o.connections = 20;
    o.duration_s = 1.5;
    auto r = run_load(o, {});
    ASSERT_TRUE(r.has_value());
    expect_counts_add_up(*r);
    EXPECT_EQ(r->stats.drops_by_code[1006], 20U);
    ASSERT_TRUE(r->idle.has_value());
    EXPECT_EQ(r->idle->held, 20U);
    EXPECT_EQ(r->idle->cut, 20U);
    EXPECT_GE(r->idle->first_cut_after_ns, 250'000'000);
    EXPECT_LT(r->idle->median_cut_after_ns, 1'000'000'000);
}

TEST_F(LabRun, SourcesAreSpreadOverLoopbackAddresses)
{
    auto o = options_for(url("/echo"));
    o.connections = 16;
    o.duration_s = 0.5;
    for (const char* ip : {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"}) {
        o.sources.push_back(*rt::address::parse(ip, 0));
    }
    auto r = run_load(o, {});
    ASSERT_TRUE(r.has_value());
    expect_counts_add_up(*r);
    EXPECT_EQ(r->stats.counts.succeeded, 16U);
    EXPECT_EQ(r->config.source, "127.0.0.2-127.0.0.5");
}

TEST_F(LabRun, EverySourceTakesItsShare)
{
    // 198.51.100.1 (TEST-NET-2) is not an address of this host: binding to it fails, so exactly the
    // connections placed on it fail, at the tcp phase.
    auto o = options_for(url("/echo"));
    o.connections = 16;
    o.duration_s = 0.5;
    o.sources.push_back(*rt::address::parse("127.0.0.2", 0));
    o.sources.push_back(*rt::address::parse("198.51.100.1", 0));
    auto r = run_load(o, {});
    ASSERT_TRUE(r.has_value());
    expect_counts_add_up(*r);
    EXPECT_EQ(r->stats.counts.succeeded, 8U);
    EXPECT_EQ(r->stats.counts.failed, 8U);
    for (const auto& [key, f] : r->stats.failures) {
        EXPECT_TRUE(key.starts_with("tcp/")) << key;
    }
}

} // namespace
} // namespace wsp::load
