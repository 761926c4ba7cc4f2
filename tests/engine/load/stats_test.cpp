// Tests for engine/load/stats.cpp: failures by phase/code with their first example, drops by close
// code, and merging two reactors' stats.
#include "engine/load/stats.h"

#include <string>

#include <gtest/gtest.h>

#include "engine/load/errc.h"

namespace {

using wsp::load::load_stats;
using wsp::load::metric;
using wsp::proto::phase;

TEST(LoadStats, MetricNames)
{
    EXPECT_EQ(wsp::load::to_string(metric::connect), "connect");
    EXPECT_EQ(wsp::load::to_string(metric::tls), "tls");
    EXPECT_EQ(wsp::load::to_string(metric::upgrade), "upgrade");
    EXPECT_EQ(wsp::load::to_string(metric::established), "established");
    EXPECT_EQ(wsp::load::to_string(metric::rtt), "rtt");
}

TEST(LoadStats, FailuresKeyedByPhaseAndCodeKeepFirstExample)
{
    load_stats s;
    s.add_failure(phase::upgrade, "unexpected_status", "Server returned 503; expected 101");
    s.add_failure(phase::upgrade, "unexpected_status", "Server returned 502; expected 101");
    s.add_failure(phase::tcp, "refused", "Connection refused by 127.0.0.1:9");
    ASSERT_EQ(s.failures.size(), 2u);
    const auto& up = s.failures.at("upgrade/unexpected_status");
    EXPECT_EQ(up.count, 2u);
    EXPECT_EQ(up.example, "Server returned 503; expected 101");
    EXPECT_EQ(s.failures.at("tcp/refused").count, 1u);
    EXPECT_EQ(s.counts.failed, 3u);
}

TEST(LoadStats, LongExampleIsClippedOnACodePointBoundary)
{
    load_stats s;
    std::string sentence(299, 'a');
    sentence += "\xc3\xa9\xc3\xa9"; // two 2-byte code points straddling the 300-byte limit
    sentence += std::string(1000, 'b');
    s.add_failure(phase::close, "x", sentence);
    const auto& ex = s.failures.at("close/x").example;
    EXPECT_EQ(ex, std::string(299, 'a') + "...");
}

TEST(LoadStats, DropsByCloseCode)
{
    load_stats s;
    s.add_drop(1006);
    s.add_drop(1006);
    s.add_drop(1001);
    EXPECT_EQ(s.drops_by_code.at(1006), 2u);
    EXPECT_EQ(s.drops_by_code.at(1001), 1u);
    EXPECT_EQ(s.counts.dropped, 3u);
}

TEST(LoadStats, MergeAddsEverything)
{
    load_stats a;
    load_stats b;
    a.of(metric::upgrade).record(1'000'000);
    b.of(metric::upgrade).record(3'000'000);
    b.of(metric::rtt).record(50'000);
    a.counts.attempted = 10;
    a.counts.succeeded = 8;
    b.counts.attempted = 5;
    b.counts.succeeded = 4;
    b.counts.messages_sent = 7;
    b.counts.messages_received = 6;
    b.counts.pings_sent = 3;
    b.counts.pongs_received = 2;
    b.counts.late_starts = 1;
    b.counts.closed = 4;
    a.counts.unclean_closes = 1;
    b.counts.unclean_closes = 2;
    b.counts.cut_by_interrupt = 5;
    a.add_failure(phase::tls, "handshake_failed", "first");
    b.add_failure(phase::tls, "handshake_failed", "second");
    b.add_failure(phase::dns, "nxdomain", "no such host");
    a.add_drop(1006);
    b.add_drop(1006);
    b.add_drop(4000);
    ASSERT_TRUE(a.merge(b));
    EXPECT_EQ(a.of(metric::upgrade).count(), 2u);
    EXPECT_EQ(a.of(metric::upgrade).max(), 3'000'000);
    EXPECT_EQ(a.of(metric::rtt).count(), 1u);
    EXPECT_EQ(a.counts.attempted, 15u);
    EXPECT_EQ(a.counts.succeeded, 12u);
    EXPECT_EQ(a.counts.failed, 3u);
    EXPECT_EQ(a.counts.dropped, 3u);
    EXPECT_EQ(a.counts.closed, 4u);
    EXPECT_EQ(a.counts.unclean_closes, 3u);
    EXPECT_EQ(a.counts.cut_by_interrupt, 5u);
    EXPECT_EQ(a.counts.messages_sent, 7u);
    EXPECT_EQ(a.counts.messages_received, 6u);
    EXPECT_EQ(a.counts.pings_sent, 3u);
    EXPECT_EQ(a.counts.pongs_received, 2u);
    EXPECT_EQ(a.counts.late_starts, 1u);
    EXPECT_EQ(a.failures.at("tls/handshake_failed").count, 2u);
    EXPECT_EQ(a.failures.at("tls/handshake_failed").example, "first");
    EXPECT_EQ(a.failures.at("dns/nxdomain").example, "no such host");
    EXPECT_EQ(a.drops_by_code.at(1006), 2u);
    EXPECT_EQ(a.drops_by_code.at(4000), 1u);
}

TEST(LoadStats, MergeRefusesMismatchedHistograms)
{
    load_stats a;
    load_stats b;
    b.latency[0] = wsp::load::histogram(2);
    auto r = a.merge(b);
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().is(wsp::load::errc::precision_mismatch));
}

TEST(LoadErrc, DomainNamesAndClasses)
{
    const wsp::error e = wsp::load::errc::bad_histogram;
    EXPECT_EQ(e.module(), "load");
    EXPECT_EQ(e.name(), "bad_histogram");
    EXPECT_EQ(e.cls(), wsp::failure_class::config);
    EXPECT_EQ(wsp::error(wsp::load::errc::bad_slo).name(), "bad_slo");
    EXPECT_EQ(wsp::error(wsp::load::errc::bad_config).name(), "bad_config");
    EXPECT_FALSE(wsp::error(wsp::load::errc::precision_mismatch).describe().empty());
}

} // namespace
