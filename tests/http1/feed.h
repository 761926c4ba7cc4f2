// Test support for the http1 parsers: runs one input whole, at every two-way split (the growing
// prefix fed again with prev_len), and one byte at a time, each buffer flush against a guard page,
// and returns the outcome as plain values so the three ways can be compared.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "http1/parser.h"
#include "tests/support/guarded.h"

namespace wsp::http1::test {

struct outcome {
    std::string error; // error name, empty when none
    std::size_t error_offset = 0;
    bool complete = false;
    std::size_t head_length = 0;
    int minor_version = -1;
    int status = 0; // responses
    std::string reason;
    std::string method; // requests
    std::string target;
    std::vector<std::pair<std::string, std::string>> headers;

    friend bool operator==(const outcome&, const outcome&) = default;
};

inline void PrintTo(const outcome& o, std::ostream* os)
{
    *os << "{error=" << o.error << "@" << o.error_offset << " complete=" << o.complete
        << " head_length=" << o.head_length << " status=" << o.status << " headers=" << o.headers.size()
        << "}";
}

inline outcome capture(const wsp::expected<parse_result>& r, const response_head& h)
{
    outcome o;
    if (!r) {
        o.error = std::string(r.error().name());
        o.error_offset = h.error_offset;
        return o;
    }
    o.complete = r->complete();
    if (!o.complete) {
        return o;
    }
    o.head_length = r->head_length;
    o.minor_version = h.minor_version;
    o.status = h.status;
    o.reason = std::string(h.reason);
    for (const header& x : h.headers) {
        o.headers.emplace_back(std::string(x.name), std::string(x.value));
    }
    return o;
}

inline outcome capture(const wsp::expected<parse_result>& r, const request_head& h)
{
    outcome o;
    if (!r) {
        o.error = std::string(r.error().name());
        o.error_offset = h.error_offset;
        return o;
    }
    o.complete = r->complete();
    if (!o.complete) {
        return o;
    }
    o.head_length = r->head_length;
    o.minor_version = h.minor_version;
    o.method = std::string(h.method);
    o.target = std::string(h.target);
    for (const header& x : h.headers) {
        o.headers.emplace_back(std::string(x.name), std::string(x.value));
    }
    return o;
}

// Parses the first `size` bytes of `input`, copied flush against a guard page.
template <class Head>
outcome parse_prefix(std::string_view input, std::size_t size, std::size_t prev_len,
                     const parse_limits& limits, std::size_t storage_size)
{
    wsp::test::guarded_buffer buf(input.substr(0, size));
    std::vector<header> storage(storage_size);
    Head head;
    const std::string_view view = buf.view();
    if constexpr (std::is_same_v<Head, response_head>) {
        return capture(parse_response(view, prev_len, storage, head, limits), head);
    } else {
        return capture(parse_request(view, prev_len, storage, head, limits), head);
    }
}

// Feeds the growing prefixes ends[0] < ends[1] < ... (the last one the whole input) until one
// completes or fails.
template <class Head>
outcome feed(std::string_view input, const std::vector<std::size_t>& ends, const parse_limits& limits,
             std::size_t storage_size)
{
    outcome o;
    std::size_t prev = 0;
    for (std::size_t end : ends) {
        o = parse_prefix<Head>(input, end, prev, limits, storage_size);
        if (o.complete || !o.error.empty()) {
            return o;
        }
        prev = end;
    }
    return o;
}

// Runs every way of feeding `input` and expects them all to agree; returns the whole-input outcome.
template <class Head>
outcome parse_all_ways(std::string_view input, const parse_limits& limits = {}, std::size_t storage_size = 64)
{
    const outcome whole = parse_prefix<Head>(input, input.size(), 0, limits, storage_size);
    for (std::size_t split = 1; split < input.size(); ++split) {
        const outcome two = feed<Head>(input, {split, input.size()}, limits, storage_size);
        EXPECT_EQ(two, whole) << "split at " << split;
    }
    std::vector<std::size_t> ends;
    for (std::size_t i = 1; i <= input.size(); ++i) {
        ends.push_back(i);
    }
    if (!ends.empty()) {
        EXPECT_EQ(feed<Head>(input, ends, limits, storage_size), whole) << "one byte at a time";
    }
    return whole;
}

inline outcome response_all_ways(std::string_view input, const parse_limits& limits = {},
                                 std::size_t storage_size = 64)
{
    return parse_all_ways<response_head>(input, limits, storage_size);
}

inline outcome request_all_ways(std::string_view input, const parse_limits& limits = {},
                                std::size_t storage_size = 64)
{
    return parse_all_ways<request_head>(input, limits, storage_size);
}

} // namespace wsp::http1::test
