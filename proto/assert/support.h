// Shared helpers for app-protocol presets and response assertions: a located problem (error code
// plus sentence), a printable preview of peer bytes, and a reusable simdjson DOM reader (RFC 8259).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <simdjson.h>
#include <tl/expected.hpp>

#include "proto/error.h"

namespace wsp::proto {

// A failure with the sentence a person can act on. Used where a code alone cannot say which
// step, field or value was at fault.
struct problem {
    wsp::error error;
    std::string sentence;
};

template <class T> using checked = tl::expected<T, problem>;

// At most `limit` bytes of `bytes`, quoted, printable ASCII kept and every other byte written as
// \xNN, with "..." and the full size appended when cut. Allocates the returned string.
[[nodiscard]] std::string preview(std::string_view bytes, std::size_t limit = 80);

// Parses JSON text with simdjson's DOM API into a parser and a padded scratch buffer it owns, so
// after the first few messages parsing allocates nothing. The returned element (and every view
// taken from it) is valid until the next parse call on this reader. Not thread-safe; one per
// session or matcher. Never throws: failures come back as simdjson error codes.
class json_reader {
public:
    explicit json_reader(std::size_t max_bytes = std::size_t{1} << 20) : max_bytes_(max_bytes) {}

    [[nodiscard]] simdjson::simdjson_result<simdjson::dom::element> parse(std::string_view text) noexcept;
    [[nodiscard]] std::size_t max_bytes() const noexcept { return max_bytes_; }

private:
    simdjson::dom::parser parser_;
    std::string scratch_;
    std::size_t max_bytes_;
};

// The string member `key` of an object element, or empty when absent or not a string.
[[nodiscard]] std::string_view string_member(simdjson::dom::element e, std::string_view key) noexcept;

// Compact JSON text of an element (simdjson::minify), for quoting payloads in sentences.
[[nodiscard]] std::string compact(simdjson::dom::element e);

} // namespace wsp::proto
