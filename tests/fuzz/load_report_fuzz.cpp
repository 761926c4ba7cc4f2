// Fuzz target for engine/load/report_html.cpp and report.cpp: whatever text a hostile server puts
// into a failure sentence or the URL, and whatever the timeline holds, the HTML page stays
// well-formed with no injected element, and the JSON summary stays valid (simdjson).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "engine/load/report.h"
#include "tests/engine/load/html_check.h"
#include "tests/fuzz/fuzz_check.h"

using wsp::fuzz::check;

namespace {

// Reads little-endian integers off the front of the input, zero when it runs out.
struct reader {
    const std::uint8_t* p;
    std::size_t n;
    std::uint64_t take(std::size_t bytes)
    {
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < bytes && n > 0; ++i, ++p, --n) {
            v |= std::uint64_t{*p} << (8 * i);
        }
        return v;
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    reader rd{data, size};
    wsp::load::run_report r;
    const auto samples = rd.take(1) % 8;
    for (std::uint64_t i = 0; i < samples; ++i) {
        wsp::load::sample s;
        s.t_s = static_cast<double>(rd.take(2)) / 16.0;
        s.open = rd.take(3);
        s.started = rd.take(2);
        s.failed = rd.take(1);
        s.upgrade_p50_ns = static_cast<std::int64_t>(rd.take(4));
        s.upgrade_p99_ns = static_cast<std::int64_t>(rd.take(5));
        s.rtt_p99_ns = static_cast<std::int64_t>(rd.take(8) >> 1);
        r.timeline.push_back(s);
        r.stats.of(wsp::load::metric::upgrade).record(s.upgrade_p99_ns);
    }
    // The rest is text from the "server": split into a URL and a failure sentence.
    const std::string_view rest(reinterpret_cast<const char*>(rd.p), rd.n);
    const auto cut = rest.size() / 3;
    r.config.url = std::string(rest.substr(0, cut));
    r.stats.add_failure(wsp::proto::phase::upgrade, "unexpected_status", rest.substr(cut));
    r.stats.add_drop(static_cast<std::uint16_t>(rest.size()));

    const auto html = wsp::load::report_html(r);
    const auto facts = wsp::load::test::check_html(html);
    check(facts.error.empty());
    check(facts.tag_counts.count("script") == 0);
    check(facts.tag_counts.at("svg") == 3);
    check(html.find("nan") == std::string::npos || rest.find("nan") != std::string_view::npos);

    const auto json = wsp::load::summary_json(r);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    check(parser.parse(json).get(doc) == simdjson::SUCCESS);
    (void)wsp::load::summary_text(r);
    return 0;
}
