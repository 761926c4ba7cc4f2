// Fuzz target for ws/close.cpp and ws/utf8.cpp (RFC 6455 §5.5.1, §7.4, §8.1): the close parser
// against a round trip through build_close, and the incremental UTF-8 validator against simdjson
// and a naive decoder, at a chunking derived from the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "tests/fuzz/fuzz_check.h"
#include "tests/ws/reference.h"
#include "ws/close.h"
#include "ws/frame.h"
#include "ws/utf8.h"

using wsp::fuzz::check;

namespace {

// First offending index (or size when none) and end-on-boundary, over the given chunk size.
std::pair<std::size_t, bool> incremental(std::span<const std::uint8_t> s, std::size_t step)
{
    wsp::ws::utf8_validator v;
    for (std::size_t pos = 0; pos < s.size(); pos += step) {
        const std::size_t len = std::min(step, s.size() - pos);
        std::vector<std::uint8_t> chunk(s.begin() + static_cast<std::ptrdiff_t>(pos),
                                        s.begin() + static_cast<std::ptrdiff_t>(pos + len));
        const std::size_t ok = v.feed(chunk);
        check(ok <= len);
        if (ok < len) {
            check(v.failed());
            return {pos + ok, false};
        }
    }
    return {s.size(), v.at_boundary()};
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace wsp::ws;
    const std::span<const std::uint8_t> in(data, size);

    // UTF-8: four validators agree; the offending index does not depend on chunking.
    const bool simd = validate_utf8(in);
    const bool naive = reference::naive_utf8_valid(in);
    check(simd == naive);
    const auto whole = incremental(in, size == 0 ? 1 : size);
    check((whole.first == size && whole.second) == simd);
    const std::size_t step = size == 0 ? 1 : 1 + data[0] % 17;
    const auto chunked = incremental(in, step);
    check(chunked == whole);
    if (whole.first < size) {
        // The prefix before the offending byte is a valid prefix: it validates once truncated
        // sequences are allowed, i.e. the incremental validator accepts it entirely.
        check(incremental(in.first(whole.first), 1).first == whole.first);
    }

    // Close payload: parse, and when valid rebuild it and parse the rebuilt frame's payload.
    auto info = parse_close_payload(in);
    if (size >= 2) {
        const auto code = static_cast<std::uint16_t>((data[0] << 8) | data[1]);
        check(!close_code_name(code).empty());
        if (info) {
            check(is_valid_wire_close_code(code) && info->code == code);
            check(reference::naive_utf8_valid(in.subspan(2)));
        } else {
            check(!is_valid_wire_close_code(code) || !reference::naive_utf8_valid(in.subspan(2)));
        }
    }
    if (info) {
        std::uint8_t frame[max_header_size + max_control_payload];
        auto n = build_close(frame, info->code, info->reason, mask_key{1, 2, 3, 4});
        if (size <= max_control_payload) {
            check(n.has_value());
            std::uint8_t body[max_control_payload];
            const std::size_t len = *n - 6;
            std::memcpy(body, frame + 6, len);
            apply_mask({body, len}, mask_key{1, 2, 3, 4});
            auto again = parse_close_payload({body, len});
            check(again && again->code == info->code && again->reason == info->reason);
        } else {
            check(!n && n.error() == errc::control_frame_too_long);
        }
    }
    return 0;
}
