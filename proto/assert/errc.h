// Errors of response assertions (--send/--expect-*/--expect-close and script files): configuration
// problems found while parsing flags, and mismatches found while matching a reply.
#pragma once

#include <cstdint>

#include "proto/error.h"

namespace wsp::proto::assertion {

// Stable names go into JSON results. Append-only.
enum class errc : std::uint16_t {
    ok = 0,
    bad_send = 1,             // config: empty or malformed --send value
    send_file_unreadable = 2, // config: @file could not be read
    bad_hex = 3,              // config: hex: value with odd length or a non-hex digit
    send_not_utf8 = 4,        // config: a text message must be UTF-8 (RFC 6455 §5.6)
    bad_regex = 5,            // config
    bad_json_pointer = 6,     // config: not an RFC 6901 pointer
    bad_script = 7,           // config: the script file is not the documented JSON shape
    bad_close_codes = 8,      // config
    reply_missing_text = 9,   // --expect-contains did not match
    reply_regex_mismatch = 10,
    reply_not_equal = 11,
    reply_not_json = 12,
    json_pointer_not_found = 13,
    json_value_mismatch = 14,
    reply_too_large = 15,   // over the bound an assertion runs on
    regex_too_complex = 16, // std::regex gave up (complexity or stack)
    unexpected_close_code = 17,
    no_close_frame = 18,
};

[[nodiscard]] const wsp::error_domain& domain_of(errc) noexcept;

} // namespace wsp::proto::assertion
