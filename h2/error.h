// Error codes of the h2 module (HTTP/2 session, RFC 8441 extended CONNECT) and the RFC 7540 §7
// error code names that RST_STREAM and GOAWAY frames carry.
#pragma once

#include <cstdint>
#include <string_view>

#include "proto/error.h"

namespace wsp::h2 {

// One value per distinct failure. Explicit values, append-only: names go into JSON results.
enum class errc : std::uint16_t {
    ok = 0,
    connect_protocol_not_enabled = 1, // peer SETTINGS lacked ENABLE_CONNECT_PROTOCOL=1
    settings_not_received = 2,        // extended CONNECT attempted before the peer's SETTINGS
    unexpected_status = 3,            // extended CONNECT answered with a non-2xx status
    missing_status = 4,               // response headers without a usable :status
    subprotocol_missing = 5,          // a subprotocol was asserted, the server selected none
    subprotocol_unrequested = 6,      // the server selected a subprotocol though none was offered
    subprotocol_not_offered = 7,      // the server selected a subprotocol the client did not offer
    subprotocol_mismatch = 8,         // the server selected an offered one, not the asserted one
    subprotocol_multiple = 9,         // the server selected more than one subprotocol
    extension_unrequested = 10,       // the server answered extensions though none were offered
    stream_reset = 11,                // the peer reset the stream (RST_STREAM)
    goaway = 12,                      // the peer sent GOAWAY; no new streams on this session
    session_error = 13,               // nghttp2 rejected the peer's bytes; the session is dead
    invalid_header = 14,              // header name or value not allowed on HTTP/2
    connection_specific_header = 15,  // connection, keep-alive, upgrade, ... (RFC 9113 §8.2.2)
    reserved_header = 16,             // a header this module sets itself, or a forbidden one
    invalid_scheme = 17,              // :scheme other than https or http
    invalid_path = 18,                // :path empty, not origin-form, or with bad characters
    invalid_authority = 19,           // :authority empty or with characters not allowed
    invalid_subprotocol = 20,         // an offered subprotocol is not a token, or repeated
    invalid_status = 21,              // a response status outside 200..599
    unknown_stream = 22,              // the stream id names no stream this session opened
    stream_closed = 23,               // the stream is closed or already ended for sending
    send_buffer_full = 24,            // write() would exceed the per-stream send buffer bound
    stream_ids_exhausted = 25,        // the session ran out of client stream ids
    library_error = 26,               // nghttp2 failed a local call (out of memory, ...)
    already_responded = 27,           // the server already answered this stream
};

// The error domain of this module (found by argument-dependent lookup from wsp::error).
[[nodiscard]] const wsp::error_domain& domain_of(errc) noexcept;

// RFC 7540 §7 name of an HTTP/2 error code: "NO_ERROR", "PROTOCOL_ERROR", ... "HTTP_1_1_REQUIRED";
// "UNKNOWN_ERROR" for codes the RFC does not define (RFC 7540 §7: treat them as INTERNAL_ERROR,
// but report what the peer actually sent). The view is static.
[[nodiscard]] std::string_view error_code_name(std::uint32_t code) noexcept;

// RFC 7540 §7 error code values, for callers that reset streams or send GOAWAY.
inline constexpr std::uint32_t no_error = 0x0;
inline constexpr std::uint32_t protocol_error = 0x1;
inline constexpr std::uint32_t internal_error = 0x2;
inline constexpr std::uint32_t refused_stream = 0x7;
inline constexpr std::uint32_t cancel = 0x8;
inline constexpr std::uint32_t enhance_your_calm = 0xb;
inline constexpr std::uint32_t http_1_1_required = 0xd;

} // namespace wsp::h2
