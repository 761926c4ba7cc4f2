// Shared by the http1 fuzz targets: the parse outcome of an input must not depend on how it is
// split. `Parse` is `Outcome(const std::uint8_t* data, std::size_t end, std::size_t prev_len,
// const wsp::http1::parse_limits&)`, where Outcome has `complete`, `error` (a string, empty when
// none) and operator==. Aborts on a mismatch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "http1/parser.h"

namespace wsp::fuzz {

// Feeds growing prefixes ending at `ends` with the previous length as the resume hint.
template <class Parse>
auto feed_prefixes(Parse parse, const std::uint8_t* data, const std::vector<std::size_t>& ends,
                   const http1::parse_limits& limits)
{
    decltype(parse(data, 0, 0, limits)) o{};
    std::size_t prev = 0;
    for (std::size_t end : ends) {
        o = parse(data, end, prev, limits);
        if (o.complete || !o.error.empty()) {
            break;
        }
        prev = end;
    }
    return o;
}

// Whole input vs two two-way splits (one chosen from the input) and, for short inputs, one byte
// at a time.
template <class Parse>
void check_splits(Parse parse, const std::uint8_t* data, std::size_t size, const http1::parse_limits& limits)
{
    const auto whole = parse(data, size, 0, limits);
    if (size < 2) {
        return;
    }
    const std::size_t split = 1 + (data[0] * 131u + data[size - 1]) % (size - 1);
    if (!(feed_prefixes(parse, data, {split, size}, limits) == whole) ||
        !(feed_prefixes(parse, data, {size / 2, size}, limits) == whole)) {
        std::abort();
    }
    if (size <= 256) {
        std::vector<std::size_t> ends;
        for (std::size_t i = 1; i <= size; ++i) {
            ends.push_back(i);
        }
        if (!(feed_prefixes(parse, data, ends, limits) == whole)) {
            std::abort();
        }
    }
}

// Runs check_splits under the default limits and under tight ones that trip every limit.
template <class Parse>
void check_splits_all_limits(Parse parse, const std::uint8_t* data, std::size_t size)
{
    check_splits(parse, data, size, http1::parse_limits{});
    http1::parse_limits tight;
    tight.max_head_size = 200;
    tight.max_line_length = 48;
    tight.max_headers = 4;
    check_splits(parse, data, size, tight);
}

} // namespace wsp::fuzz
