// Incremental, zero-copy HTTP/1.x head parsers (RFC 7230 §3): the response parser the client uses
// for the upgrade answer, and a request parser for the server role. picohttpparser-shaped.
//
// Contract shared by both parsers:
// - `buf` holds every byte received so far, from the first byte of the message. Views in the
//   output (reason, method, target, header names and values) point into `buf` and live as long
//   as those bytes stay where they are; nothing is copied or allocated.
// - The result is need_more (not an error) while the head is incomplete, or complete with the
//   head length (status/request line, headers and the empty line). Bytes of `buf` past the head
//   length are the body or, after a 101, WebSocket frame data: hand them on, do not drop them.
// - `prev_len` is the size of `buf` at the previous call that returned need_more (0 on the first
//   call); lines already checked then are not scanned again until the head completes, when one
//   final pass fills the headers. The outcome never depends on prev_len: feeding a head whole,
//   split anywhere, or one byte at a time gives the same result, and an error found in a prefix
//   is the error the whole input gives.
// - Lines are checked in order, each when its LF arrives, so the first bad line is the one
//   reported; within a line the limits are checked before its content. Limits become errors,
//   never unbounded buffering: a line longer than max_line_length (line_too_long) or a head longer
//   than max_head_size (head_too_large) fails as soon as the offending byte arrives, even before
//   the line ends; more headers than min(max_headers, storage.size()) is too_many_headers, reported
//   when the head completes. A status line that does not start "HTTP/1." fails at once.
// - Line ends: CRLF, or a bare LF. RFC 7230 §3.5 lets a recipient accept LF alone and servers in
//   the wild send it, so both parsers do; a CR that is not followed by LF is rejected
//   (bad_line_ending).
// - Rejected (RFC 7230 §3.2.4): obs-fold and whitespace before the first header (obs_fold; a user
//   agent MAY unfold instead, but that needs a copy and no upgrade response has reason to fold),
//   whitespace between name and colon, non-token name characters, a missing colon, NUL and other
//   controls except HTAB in values.
// - On error, `error_offset` in the output names the byte offset of the start of the line at
//   fault (for diagnostics). Thread-compatible: no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "http1/error.h"

namespace wsp::http1 {

// One header line: name and value (optional whitespace trimmed), both views into the input.
struct header {
    std::string_view name;
    std::string_view value;
};

struct parse_limits {
    std::size_t max_head_size = 16 * 1024; // bytes, including the final empty line
    std::size_t max_headers = 64;
    std::size_t max_line_length = 8 * 1024; // bytes before the LF, a CR included
};

enum class parse_state : std::uint8_t { need_more = 0, complete = 1 };

struct parse_result {
    parse_state state = parse_state::need_more;
    std::size_t head_length = 0; // set when complete; bytes past it belong to what follows
    [[nodiscard]] bool complete() const noexcept { return state == parse_state::complete; }
};

struct response_head {
    int minor_version = 0;           // 0 for HTTP/1.0, 1 for HTTP/1.1
    int status = 0;                  // 100 to 999
    std::string_view reason;         // may be empty
    std::span<const header> headers; // the filled prefix of the caller's storage
    std::size_t error_offset = 0;    // on error: start of the offending line
};

struct request_head {
    std::string_view method; // a token, e.g. "GET"
    std::string_view target; // visible ASCII, e.g. "/chat?room=1"
    int minor_version = 0;
    std::span<const header> headers;
    std::size_t error_offset = 0;
};

// Parses an HTTP/1.0 or 1.1 response head. `out` is fully set when complete, and only
// error_offset is meaningful on error. Errors: malformed_status_line, malformed_header, obs_fold,
// whitespace_before_colon, invalid_field_name, invalid_field_value, bad_line_ending,
// line_too_long, head_too_large, too_many_headers.
[[nodiscard]] wsp::expected<parse_result> parse_response(std::string_view buf, std::size_t prev_len,
                                                         std::span<header> storage, response_head& out,
                                                         const parse_limits& limits = {}) noexcept;

// Parses an HTTP/1.0 or 1.1 request head (server role), same contract. Errors as for responses,
// with malformed_request_line in place of malformed_status_line.
[[nodiscard]] wsp::expected<parse_result> parse_request(std::string_view buf, std::size_t prev_len,
                                                        std::span<header> storage, request_head& out,
                                                        const parse_limits& limits = {}) noexcept;

// The first header named `name` (ASCII case-insensitive), or nullptr.
[[nodiscard]] const header* find_header(std::span<const header> headers, std::string_view name) noexcept;

// How many headers are named `name` (ASCII case-insensitive).
[[nodiscard]] std::size_t count_headers(std::span<const header> headers, std::string_view name) noexcept;

} // namespace wsp::http1
