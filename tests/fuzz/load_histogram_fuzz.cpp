// Fuzz target for engine/load/histogram.cpp: decode() of hostile hist1 text either refuses it or
// yields a histogram that re-encodes to a fixed point, merges with itself exactly, and whose
// percentiles are ordered between its extremes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/load/histogram.h"
#include "tests/fuzz/fuzz_check.h"

using wsp::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto h = wsp::load::histogram::decode(text);
    if (!h) {
        return 0;
    }
    const auto encoded = h->encode();
    auto again = wsp::load::histogram::decode(encoded);
    check(again.has_value());
    check(again->encode() == encoded);
    check(again->count() == h->count());

    const auto p50 = h->percentile(50);
    const auto p99 = h->percentile(99);
    check(h->min() <= p50 && p50 <= p99 && p99 <= h->max());
    check(h->percentile(100) == h->max());
    const double mean = h->mean();
    check(h->count() == 0 ||
          (mean >= static_cast<double>(h->min()) && mean <= static_cast<double>(h->max())));

    // Doubling every count keeps the extremes and the percentiles (unless the counts overflow).
    if (h->count() <= UINT64_MAX / 2) {
        auto twice = *h;
        check(twice.merge(*h).has_value());
        check(twice.count() == 2 * h->count());
        check(twice.min() == h->min() && twice.max() == h->max());
        check(twice.percentile(99) == p99);
    }
    return 0;
}
