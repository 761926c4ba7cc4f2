// Tests for engine/load/report.cpp: the progress line, the summary table and the --json summary
// (parsed back with simdjson, histograms decoded and compared).
#include "engine/load/report.h"

#include <string>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "tests/engine/load/report_support.h"

namespace {

using wsp::load::histogram;
using wsp::load::metric;
using wsp::load::progress_line;
using wsp::load::run_report;
using wsp::load::sample;
using wsp::load::summary_json;
using wsp::load::summary_text;
using wsp::load::test::synthetic_report;

bool has(const std::string& text, std::string_view part)
{
    return text.find(part) != std::string::npos;
}

TEST(ProgressLine, ShowsOpenRateLatencyAndErrors)
{
    const auto r = synthetic_report();
    EXPECT_EQ(progress_line(r.timeline[3], 7),
              "4.0s open 198 rate 50/s upgrade p50 1.4ms p99 4.0ms rtt p99 600us msgs 198/s errors 7");
    EXPECT_EQ(
        progress_line(r.timeline[7], 9),
        "8.0s open 393 rate 50/s upgrade p50 1.6ms p99 4.9ms rtt p99 600us msgs 393/s dropped 3 errors 9");
}

TEST(ProgressLine, NothingMeasuredShowsDashes)
{
    sample s;
    s.t_s = 1;
    const auto line = progress_line(s, 0);
    EXPECT_EQ(line, "1.0s open 0 rate 0/s upgrade p50 - p99 - errors 0");
    EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(ProgressLine, DurationUnitsScale)
{
    sample s;
    s.upgrade_p50_ns = 850;
    s.upgrade_p99_ns = 12'340;
    s.rtt_p99_ns = 2'345'000'000;
    EXPECT_EQ(progress_line(s, 0),
              "0.0s open 0 rate 0/s upgrade p50 850ns p99 12.3us rtt p99 2.35s errors 0");
    s.upgrade_p50_ns = 250'000'000;
    s.upgrade_p99_ns = 999'999;
    s.rtt_p99_ns = 999'999'999;
    EXPECT_EQ(progress_line(s, 0), "0.0s open 0 rate 0/s upgrade p50 250ms p99 1.0ms rtt p99 1.00s errors 0");
}

TEST(SummaryText, TotalsLatencyFailuresAndDrops)
{
    const auto text = summary_text(synthetic_report());
    EXPECT_TRUE(text.starts_with("wsprobe load ws://127.0.0.1:9000/echo?x=<b>&y=\"q\"\n")) << text;
    EXPECT_TRUE(text.ends_with("\n"));
    EXPECT_TRUE(has(text, "500 connections at 50/s (ramp 2s), held to the end, 2 threads, ran 12s of 12s"))
        << text;
    EXPECT_TRUE(has(text, "attempted 500  succeeded 494  failed 6  in progress 0  dropped 3  closed 489  "
                          "unclean closes 2\n"))
        << text;
    EXPECT_TRUE(has(text, "unclean      2 closed by wsprobe did not finish the close handshake")) << text;
    EXPECT_TRUE(has(text, "pings 5000  pongs 4990")) << text;
    EXPECT_TRUE(has(text, "latency        count      min      p50      p90      p99    p99.9      max\n"))
        << text;
    EXPECT_TRUE(has(text, "\nupgrade          494    1.0ms    3.0ms    4.6ms    4.9ms    4.9ms    4.9ms\n"))
        << text;
    EXPECT_TRUE(has(text, "\nconnect          494")) << text;
    EXPECT_FALSE(has(text, "\ntls ")) << "a metric with no values has no row";
    EXPECT_TRUE(has(text, "tcp/refused                            5  Connection refused by 127.0.0.1:9000"))
        << text;
    EXPECT_TRUE(has(text, "upgrade/unexpected_status              1  Server returned 503")) << text;
    EXPECT_TRUE(has(text, "1006 (no close frame)                  2")) << text;
    EXPECT_TRUE(has(text, "4000 (application)                     1")) << text;
    EXPECT_FALSE(has(text, "interrupted"));
    EXPECT_FALSE(has(text, "slo "));
}

TEST(SummaryText, ControlCharactersFromTheServerAreNeutralised)
{
    auto r = synthetic_report();
    r.stats.add_failure(wsp::proto::phase::close, "close_reason", "Server said \x1b[2J\x1b[31mgotcha\r\n");
    const auto text = summary_text(r);
    EXPECT_FALSE(has(text, "\x1b"));
    EXPECT_FALSE(has(text, "\r"));
    EXPECT_TRUE(has(text, "Server said ?[2J?[31mgotcha??")) << text;
}

TEST(SummaryText, InterruptedSloAndIdleSections)
{
    auto r = synthetic_report();
    r.interrupted = true;
    r.config.hold_s = 30;
    r.config.rate = 0;
    wsp::load::slo_result slo;
    slo.slo = "upgrade_p99<5ms";
    slo.steps = {{100, 3'000'000, true, 0}, {200, 4'500'000, true, 1}, {400, 9'000'000, false, 12}};
    slo.highest_rate_held = 200;
    r.slo = slo;
    r.idle = wsp::load::idle_survival{490, 12, 60'000'000'000, 90'500'000'000};
    const auto text = summary_text(r);
    EXPECT_TRUE(has(text, "(interrupted)")) << text;
    EXPECT_TRUE(has(text, "500 connections at full speed (ramp 2s), hold 30s")) << text;
    EXPECT_TRUE(has(text, "slo upgrade_p99<5ms: held up to 200/s")) << text;
    EXPECT_TRUE(has(text, "     200/s     4.5ms   yes       1\n")) << text;
    EXPECT_TRUE(has(text, "     400/s     9.0ms    no      12\n")) << text;
    EXPECT_TRUE(has(text, "idle survival: 490 held, 12 cut, first after 60.00s, median after 90.50s"))
        << text;
    r.slo->highest_rate_held.reset();
    EXPECT_TRUE(has(summary_text(r), "not held even at the first step"));
}

TEST(SummaryJson, ParsesAndHasEveryField)
{
    auto r = synthetic_report();
    r.slo = wsp::load::slo_result{"rtt_p99<1ms", {{50, 600'000, true, 0}}, 50.0};
    const auto json = summary_json(r);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;

    EXPECT_EQ(doc["version"].get_int64().value(), 1);
    EXPECT_EQ(std::string_view(doc["config"]["url"].get_string().value()),
              "ws://127.0.0.1:9000/echo?x=<b>&y=\"q\"");
    EXPECT_EQ(doc["config"]["connections"].get_uint64().value(), 500u);
    EXPECT_DOUBLE_EQ(doc["config"]["rate"].get_double().value(), 50.0);
    EXPECT_EQ(std::string_view(doc["config"]["source"].get_string().value()), "127.0.0.2-127.0.0.9");
    EXPECT_DOUBLE_EQ(doc["elapsed_s"].get_double().value(), 12.0);
    EXPECT_FALSE(doc["interrupted"].get_bool().value());

    const auto totals = doc["totals"];
    EXPECT_EQ(totals["attempted"].get_uint64().value(), 500u);
    EXPECT_EQ(totals["succeeded"].get_uint64().value(), 494u);
    EXPECT_EQ(totals["failed"].get_uint64().value(), 6u);
    EXPECT_EQ(totals["in_progress"].get_uint64().value(), 0u);
    EXPECT_EQ(totals["dropped"].get_uint64().value(), 3u);
    EXPECT_EQ(totals["closed"].get_uint64().value(), 489u);
    EXPECT_EQ(totals["unclean_closes"].get_uint64().value(), 2u);
    EXPECT_EQ(totals["cut_by_interrupt"].get_uint64().value(), 0u);
    EXPECT_EQ(totals["pings_sent"].get_uint64().value(), 5000u);

    for (const auto m : {metric::connect, metric::tls, metric::upgrade, metric::established, metric::rtt}) {
        const auto lat = doc["latency_ms"][wsp::load::to_string(m)];
        ASSERT_EQ(lat.error(), simdjson::SUCCESS) << wsp::load::to_string(m);
        const auto& h = r.stats.of(m);
        EXPECT_EQ(lat["count"].get_uint64().value(), h.count());
        EXPECT_NEAR(lat["p99"].get_double().value(), static_cast<double>(h.percentile(99)) / 1e6, 1e-5);
        EXPECT_NEAR(lat["p99_9"].get_double().value(), static_cast<double>(h.percentile(99.9)) / 1e6, 1e-5);
        EXPECT_NEAR(lat["max"].get_double().value(), static_cast<double>(h.max()) / 1e6, 1e-5);
        for (const char* k : {"min", "mean", "p50", "p90"}) {
            EXPECT_EQ(lat[k].error(), simdjson::SUCCESS) << k;
        }
        // The encoded histogram restores the run's exactly: another machine can merge it.
        auto back = histogram::decode(lat["histogram"].get_string().value());
        ASSERT_TRUE(back);
        EXPECT_EQ(back->encode(), h.encode());
    }

    auto failures = doc["failures"].get_array().value();
    ASSERT_EQ(failures.size(), 2u);
    EXPECT_EQ(std::string_view(failures.at(1)["phase"].get_string().value()), "upgrade");
    EXPECT_EQ(std::string_view(failures.at(1)["code"].get_string().value()), "unexpected_status");
    EXPECT_EQ(failures.at(1)["count"].get_uint64().value(), 1u);
    EXPECT_TRUE(std::string_view(failures.at(1)["example"].get_string().value()).find("<script>") !=
                std::string_view::npos);
    auto drops = doc["drops"].get_array().value();
    ASSERT_EQ(drops.size(), 2u);
    EXPECT_EQ(drops.at(0)["close_code"].get_uint64().value(), 1006u);
    EXPECT_EQ(drops.at(0)["count"].get_uint64().value(), 2u);

    auto timeline = doc["timeline"].get_array().value();
    ASSERT_EQ(timeline.size(), 12u);
    EXPECT_DOUBLE_EQ(timeline.at(0)["t_s"].get_double().value(), 1.0);
    EXPECT_EQ(timeline.at(3)["open"].get_uint64().value(), 198u);
    EXPECT_NEAR(timeline.at(3)["upgrade_p50_ms"].get_double().value(), 1.35, 1e-9);
    EXPECT_TRUE(timeline.at(11)["upgrade_p50_ms"].is_null()) << "nothing upgraded in that second";
    for (const char* k : {"started", "succeeded", "failed", "dropped", "messages", "upgrade_p99_ms",
                          "established_p50_ms", "established_p99_ms", "rtt_p50_ms", "rtt_p99_ms"}) {
        EXPECT_EQ(timeline.at(0)[k].error(), simdjson::SUCCESS) << k;
    }

    EXPECT_EQ(std::string_view(doc["slo"]["slo"].get_string().value()), "rtt_p99<1ms");
    EXPECT_DOUBLE_EQ(doc["slo"]["highest_rate_held"].get_double().value(), 50.0);
    EXPECT_NEAR(doc["slo"]["steps"].at(0)["measured_ms"].get_double().value(), 0.6, 1e-9);
    EXPECT_TRUE(doc["slo"]["steps"].at(0)["held"].get_bool().value());
    EXPECT_TRUE(doc["idle"].is_null());
}

TEST(SummaryJson, EmptyRunIsValidJson)
{
    const auto json = summary_json(run_report{});
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
    EXPECT_EQ(doc["timeline"].get_array().value().size(), 0u);
    EXPECT_EQ(doc["latency_ms"]["rtt"]["count"].get_uint64().value(), 0u);
    EXPECT_TRUE(doc["slo"].is_null());
    auto with_idle = run_report{};
    with_idle.idle = wsp::load::idle_survival{10, 2, 5'000'000'000, 6'000'000'000};
    ASSERT_EQ(parser.parse(summary_json(with_idle)).get(doc), simdjson::SUCCESS);
    EXPECT_DOUBLE_EQ(doc["idle"]["first_cut_after_s"].get_double().value(), 5.0);
    EXPECT_EQ(doc["idle"]["cut"].get_uint64().value(), 2u);
}

} // namespace
