// Tests for engine/load/slo.cpp: every metric, percentile and unit accepted; each kind of garbage
// refused with a sentence naming what is wrong.
#include "engine/load/driver.h"

#include <string>

#include <gtest/gtest.h>

#include "engine/load/errc.h"

namespace {

using wsp::load::metric;
using wsp::load::parse_slo;

TEST(Slo, ParsesMetricPercentileAndBound)
{
    std::string why;
    auto s = parse_slo("upgrade_p99<250ms", &why);
    ASSERT_TRUE(s) << why;
    EXPECT_EQ(s->what, metric::upgrade);
    EXPECT_DOUBLE_EQ(s->percentile, 99.0);
    EXPECT_EQ(s->below_ns, 250'000'000);
    EXPECT_EQ(s->text, "upgrade_p99<250ms");
}

TEST(Slo, EveryMetricAndUnit)
{
    struct row {
        const char* text;
        metric what;
        double p;
        std::int64_t ns;
    };
    const row rows[] = {
        {"connect_p50<10ms", metric::connect, 50, 10'000'000},
        {"tls_p90<1.5s", metric::tls, 90, 1'500'000'000},
        {"established_p99.9<2s", metric::established, 99.9, 2'000'000'000},
        {"rtt_p99.9<800us", metric::rtt, 99.9, 800'000},
        {"  rtt_p95 < 0.5ms ", metric::rtt, 95, 500'000},
    };
    for (const auto& r : rows) {
        std::string why;
        auto s = parse_slo(r.text, &why);
        ASSERT_TRUE(s) << r.text << ": " << why;
        EXPECT_EQ(s->what, r.what) << r.text;
        EXPECT_DOUBLE_EQ(s->percentile, r.p) << r.text;
        EXPECT_EQ(s->below_ns, r.ns) << r.text;
    }
}

TEST(Slo, RefusesGarbageWithASentence)
{
    struct row {
        const char* text;
        const char* says;
    };
    const row rows[] = {
        {"", "empty"},
        {"upgrade_p99", "no '<' bound"},
        {"upgrade_p99>250ms", "no '<' bound"},
        {"upgrade_p99<=250ms", "not '<='"},
        {"upgrade<250ms", "must name a metric and a percentile"},
        {"latency_p99<250ms", "unknown metric 'latency'"},
        {"_p99<250ms", "unknown metric ''"},
        {"upgrade_p<250ms", "'' is not a percentile"},
        {"upgrade_p100<250ms", "'100' is not a percentile"},
        {"upgrade_p0<250ms", "'0' is not a percentile"},
        {"upgrade_p-1<250ms", "'-1' is not a percentile"},
        {"upgrade_p9x<250ms", "'9x' is not a percentile"},
        {"upgrade_p99.<250ms", "'99.' is not a percentile"},
        {"upgrade_p1e1<250ms", "'1e1' is not a percentile"},
        {"upgrade_pnan<250ms", "'nan' is not a percentile"},
        {"upgrade_p99<250", "'250' is not a positive duration"},
        {"upgrade_p99<ms", "'ms' is not a positive duration"},
        {"upgrade_p99<-5ms", "'-5ms' is not a positive duration"},
        {"upgrade_p99<0ms", "'0ms' is not a positive duration"},
        {"upgrade_p99<2h", "'2h' is not a positive duration"},
        {"upgrade_p99<4000s", "'4000s' is not a positive duration"},
        {"upgrade_p99<1.2.3ms", "'1.2.3ms' is not a positive duration"},
        {"upgrade_p99<250ms<3s", "'250ms<3s' is not a positive duration"},
    };
    for (const auto& r : rows) {
        std::string why;
        auto s = parse_slo(r.text, &why);
        ASSERT_FALSE(s) << "accepted: " << r.text;
        EXPECT_TRUE(s.error().is(wsp::load::errc::bad_slo)) << r.text;
        EXPECT_NE(why.find(r.says), std::string::npos) << r.text << " -> " << why;
    }
}

TEST(Slo, WhyIsOptional)
{
    EXPECT_FALSE(parse_slo("nonsense", nullptr));
    EXPECT_TRUE(parse_slo("rtt_p50<1s", nullptr));
}

} // namespace
