// Tests for engine/load/report_html.cpp: a well-formed, self-contained HTML5 page whose three
// SVG charts carry the timeline's points, with every string from the run escaped.
#include <algorithm>
#include <cctype>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "engine/load/report.h"
#include "tests/engine/load/html_check.h"
#include "tests/engine/load/report_support.h"

namespace {

using wsp::load::report_html;
using wsp::load::run_report;
using wsp::load::test::check_html;
using wsp::load::test::synthetic_report;

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::size_t point_count(const std::string& points)
{
    std::istringstream in(points);
    std::string pair;
    std::size_t n = 0;
    while (in >> pair) {
        const auto comma = pair.find(',');
        EXPECT_NE(comma, std::string::npos) << pair;
        EXPECT_NO_THROW((void)std::stod(pair.substr(0, comma))) << pair;
        EXPECT_NO_THROW((void)std::stod(pair.substr(comma + 1))) << pair;
        ++n;
    }
    return n;
}

// The checker itself must catch what it is there to catch.
TEST(HtmlCheck, RefusesBrokenMarkup)
{
    EXPECT_TRUE(check_html("<html><body><p>x</p></body></html>").error.empty());
    EXPECT_FALSE(check_html("<html><body><p>x</body></html>").error.empty());
    EXPECT_FALSE(check_html("<html><body>a < b</body></html>").error.empty());
    EXPECT_FALSE(check_html("<html><body><div id=x></div></body></html>").error.empty());
    EXPECT_FALSE(check_html("<html><p id=\"a\"></p><p id=\"a\"></p></html>").error.empty());
    EXPECT_FALSE(check_html("<html><body>").error.empty());
}

TEST(ReportHtml, WellFormedWithThreeChartsAndTheirPoints)
{
    const auto html = report_html(synthetic_report());
    EXPECT_TRUE(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    const auto f = check_html(html);
    ASSERT_TRUE(f.error.empty()) << f.error;
    EXPECT_EQ(f.tag_counts.at("html"), 1);
    EXPECT_EQ(f.tag_counts.at("head"), 1);
    EXPECT_EQ(f.tag_counts.at("body"), 1);
    EXPECT_EQ(f.tag_counts.at("title"), 4) << "the page's and one per chart";
    EXPECT_EQ(f.tag_counts.at("svg"), 3);
    EXPECT_NE(
        html.find("<div class=\"card bad\"><div class=\"v\">2</div><div class=\"k\">unclean closes</div>"),
        std::string::npos)
        << "shown when some closes failed";
    for (const char* id : {"chart-connections", "chart-rate", "chart-latency"}) {
        ASSERT_TRUE(f.ids.count(id)) << id;
        ASSERT_TRUE(f.polylines.count(id)) << id;
    }
    // One line per series over all 12 seconds, except the upgrade latencies, which stop when the
    // arrivals stop (seconds 11 and 12 had nothing to measure).
    ASSERT_EQ(f.polylines.at("chart-connections").size(), 1u);
    EXPECT_EQ(point_count(f.polylines.at("chart-connections")[0]), 13u) << "the origin, then every second";
    ASSERT_EQ(f.polylines.at("chart-rate").size(), 4u);
    for (const auto& p : f.polylines.at("chart-rate")) {
        EXPECT_EQ(point_count(p), 12u);
    }
    const auto& lat = f.polylines.at("chart-latency");
    ASSERT_EQ(lat.size(), 4u);
    EXPECT_EQ(point_count(lat[0]), 10u);
    EXPECT_EQ(point_count(lat[1]), 10u);
    EXPECT_EQ(point_count(lat[2]), 12u);
    EXPECT_EQ(point_count(lat[3]), 12u);
    // Axes, ticks, legends and titles.
    EXPECT_NE(html.find("class=\"legend\""), std::string::npos);
    EXPECT_NE(html.find("time since start (s)"), std::string::npos);
    EXPECT_NE(html.find(">Connections open</text>"), std::string::npos);
    EXPECT_NE(html.find(">upgrade p99</text>"), std::string::npos);
    EXPECT_NE(html.find("class=\"ticks y-ticks\"><text"), std::string::npos);
    EXPECT_NE(html.find(">12</text>"), std::string::npos) << "the x axis reaches the last second";
}

TEST(ReportHtml, ChartPointsFollowTheData)
{
    // Open connections rise from the origin to a peak at 10 s, then stay (SVG y grows downwards).
    const auto f = check_html(report_html(synthetic_report()));
    ASSERT_TRUE(f.error.empty()) << f.error;
    std::istringstream in(f.polylines.at("chart-connections")[0]);
    std::string pair;
    std::vector<double> xs;
    std::vector<double> ys;
    while (in >> pair) {
        xs.push_back(std::stod(pair.substr(0, pair.find(','))));
        ys.push_back(std::stod(pair.substr(pair.find(',') + 1)));
    }
    ASSERT_EQ(ys.size(), 13u);
    EXPECT_TRUE(std::is_sorted(xs.begin(), xs.end()));
    EXPECT_DOUBLE_EQ(xs[0], 70.0) << "the origin sits on the y axis";
    EXPECT_DOUBLE_EQ(ys[0], 254.0) << "the origin sits on the x axis";
    for (std::size_t i = 1; i <= 10; ++i) {
        EXPECT_LT(ys[i], ys[i - 1]) << "rising line at second " << i;
    }
    EXPECT_DOUBLE_EQ(ys[10], ys[12]);
}

TEST(ReportHtml, EscapesEverythingFromTheRun)
{
    auto r = synthetic_report();
    r.config.url = "ws://evil.example/\"><script>alert(1)</script>";
    r.config.slo = "upgrade_p99<250ms";
    r.config.source = "<img src=x onerror=alert(2)>";
    r.stats.add_failure(wsp::proto::phase::close, "close<b>",
                        "Server said </td></tr></table><script>bad()</script>");
    r.slo = wsp::load::slo_result{"<svg onload=x>", {{10, 1, true, 0}}, 10.0};
    const auto html = report_html(r);
    const auto f = check_html(html);
    ASSERT_TRUE(f.error.empty()) << f.error;
    const auto l = lower(html);
    EXPECT_EQ(l.find("<script"), std::string::npos);
    EXPECT_EQ(l.find("<img"), std::string::npos);
    EXPECT_EQ(l.find("<svg onload"), std::string::npos);
    EXPECT_EQ(l.find("<b>"), std::string::npos);
    EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), std::string::npos);
    EXPECT_NE(html.find("Server said &lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;bad()&lt;/script&gt;"),
              std::string::npos);
    EXPECT_NE(html.find("ws://evil.example/&quot;&gt;&lt;script&gt;"), std::string::npos);
    EXPECT_NE(html.find("SLO upgrade_p99&lt;250ms"), std::string::npos);
    EXPECT_EQ(f.tag_counts.at("svg"), 3);
}

TEST(ReportHtml, SelfContained)
{
    const auto l = lower(report_html(synthetic_report()));
    for (const char* external : {"<script", "<link", "src=", "href=", "url(", "@import", "<iframe", "<img"}) {
        EXPECT_EQ(l.find(external), std::string::npos) << external;
    }
    EXPECT_NE(l.find("<style>"), std::string::npos);
    EXPECT_NE(l.find("<meta charset=\"utf-8\">"), std::string::npos);
}

TEST(ReportHtml, EmptyTimelineStillRendersCharts)
{
    const auto html = report_html(run_report{});
    const auto f = check_html(html);
    ASSERT_TRUE(f.error.empty()) << f.error;
    for (const char* id : {"chart-connections", "chart-rate", "chart-latency"}) {
        EXPECT_TRUE(f.ids.count(id)) << id;
        EXPECT_EQ(f.polylines.count(id), 0u) << id;
    }
    EXPECT_NE(html.find("no data in this run"), std::string::npos);
    EXPECT_EQ(html.find("nan"), std::string::npos);
    EXPECT_EQ(html.find("inf"), std::string::npos);
}

TEST(ReportHtml, OnePointTimelineIsDrawnAsDots)
{
    const auto html = report_html(synthetic_report(1));
    const auto f = check_html(html);
    ASSERT_TRUE(f.error.empty()) << f.error;
    EXPECT_EQ(f.circles.count("chart-connections"), 0u) << "a line from the origin, no dot";
    EXPECT_EQ(f.circles.at("chart-rate"), 4);
    EXPECT_EQ(f.circles.at("chart-latency"), 4);
    ASSERT_EQ(f.polylines.at("chart-connections").size(), 1u);
    EXPECT_EQ(point_count(f.polylines.at("chart-connections")[0]), 2u);
    ASSERT_EQ(f.polylines.at("chart-rate").size(), 4u);
    EXPECT_EQ(point_count(f.polylines.at("chart-rate")[0]), 1u);
    EXPECT_EQ(html.find("nan"), std::string::npos);
}

TEST(ReportHtml, SloAndIdleSections)
{
    auto r = synthetic_report();
    r.slo = wsp::load::slo_result{
        "upgrade_p99<5ms", {{100, 3'000'000, true, 0}, {200, 9'000'000, false, 4}}, 100.0};
    r.idle = wsp::load::idle_survival{490, 12, 60'000'000'000, 90'000'000'000};
    r.interrupted = true;
    const auto html = report_html(r);
    const auto f = check_html(html);
    ASSERT_TRUE(f.error.empty()) << f.error;
    EXPECT_TRUE(f.ids.count("slo-table"));
    EXPECT_NE(html.find("Held up to 100 connections/s."), std::string::npos);
    EXPECT_NE(html.find("<td>200/s</td><td>9.0ms</td><td>no</td><td>4</td>"), std::string::npos);
    EXPECT_NE(html.find("490 held, 12 cut; first cut after 60.00s"), std::string::npos);
    EXPECT_NE(html.find("Interrupted before the end."), std::string::npos);
    EXPECT_TRUE(f.ids.count("drops-table"));
    EXPECT_NE(html.find("<td>1006 (no close frame)</td><td>2</td>"), std::string::npos);
}

// hold_s 0 is "held to the end" (docs/json-load.md); a positive hold is shown as its length.
TEST(ReportHtml, HoldToTheEndAndAFixedHold)
{
    auto r = synthetic_report();
    r.config.hold_s = 0;
    const auto to_end = report_html(r);
    EXPECT_NE(to_end.find(", held to the end"), std::string::npos);
    EXPECT_EQ(to_end.find(", hold "), std::string::npos);
    r.config.hold_s = 30;
    const auto fixed = report_html(r);
    EXPECT_NE(fixed.find(", hold 30s"), std::string::npos);
    EXPECT_EQ(fixed.find("held to the end"), std::string::npos);
}

} // namespace
