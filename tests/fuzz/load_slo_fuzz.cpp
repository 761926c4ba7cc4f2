// Fuzz target for engine/load/slo.cpp: parse_slo never crashes, always explains a refusal, and
// what it accepts is a known metric, a percentile strictly between 0 and 100 and a positive bound
// of at most an hour, which parses the same again from its own text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/load/driver.h"
#include "tests/fuzz/fuzz_check.h"

using wsp::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::string why;
    auto s = wsp::load::parse_slo(text, &why);
    if (!s) {
        check(!why.empty());
        return 0;
    }
    check(s->percentile > 0 && s->percentile < 100);
    check(s->below_ns > 0 && s->below_ns <= 3'600'000'000'000);
    check(static_cast<std::uint8_t>(s->what) <= static_cast<std::uint8_t>(wsp::load::metric::rtt));
    auto again = wsp::load::parse_slo(s->text, nullptr);
    check(again.has_value());
    check(again->what == s->what && again->percentile == s->percentile && again->below_ns == s->below_ns);
    return 0;
}
