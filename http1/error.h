// Errors of the http1 module: the HTTP/1.1 upgrade (RFC 6455 §4, RFC 7230 §3) as failure codes
// with stable names, plus `failure`, a code with a sentence a person can act on and the facts.
#pragma once

#include <cstdint>
#include <string>

#include "proto/error.h"

namespace wsp::http1 {

// One value per distinct violation. Explicit values, append-only: the names are a JSON contract.
enum class errc : std::uint16_t {
    ok = 0,
    // The server answered, but not with an acceptable 101 (class handshake).
    unexpected_status = 1,
    redirect_not_followed = 2,
    unauthorized = 3,
    forbidden = 4,
    too_many_requests = 5,
    server_error = 6,
    missing_upgrade_header = 7,
    bad_upgrade_token = 8,
    missing_connection_header = 9,
    bad_connection_token = 10,
    missing_accept = 11,
    accept_mismatch = 12,
    subprotocol_not_offered = 13,
    subprotocol_missing = 14,
    subprotocol_mismatch = 15,
    extension_not_offered = 16,
    // Malformed HTTP from the peer (class protocol).
    malformed_status_line = 17,
    malformed_header = 18,
    // Parser limits (class limit).
    head_too_large = 19,
    too_many_headers = 20,
    line_too_long = 21,
    // Bad request options or caller buffers.
    invalid_header_name = 22,     // config
    invalid_header_value = 23,    // config
    buffer_too_small = 24,        // limit
    multiple_subprotocols = 25,   // handshake
    multiple_accept_headers = 26, // handshake
    malformed_request_line = 27,  // protocol
    bad_line_ending = 28,         // protocol: CR not followed by LF
    obs_fold = 29,                // protocol: a header line starts with whitespace
    whitespace_before_colon = 30, // protocol
    invalid_field_name = 31,      // protocol: a header name that is not a token
    invalid_field_value = 32,     // protocol: a control character in a header value
    duplicate_owned_header = 33,  // config
    invalid_target = 34,          // config
    invalid_host = 35,            // config
    invalid_subprotocol = 36,     // config
    entropy_failed = 37,          // internal
    too_many_extensions = 38,     // limit
    malformed_extension = 39,     // handshake
    bad_method = 40,              // protocol (server role)
    bad_http_version = 41,        // protocol (server role)
    missing_host = 42,            // protocol (server role)
    invalid_key = 43,             // protocol (server role)
    unsupported_ws_version = 44,  // protocol (server role)
    invalid_status = 45,          // config (server role)
};

// Module "http1"; name, failure class and a short generic description per value.
[[nodiscard]] const wsp::error_domain& domain_of(errc) noexcept;

// A failure with context: the code, one sentence a person can act on (e.g. "Server returned 200;
// expected 101 Switching Protocols"), and the facts behind it. Built only on failure paths, so the
// strings may allocate. Text quoted from the peer is truncated and non-printable bytes escaped.
struct failure {
    wsp::error code;
    std::string sentence;
    int status = 0;       // the HTTP status, when a response was parsed
    std::string header;   // the header concerned, e.g. "Sec-WebSocket-Accept"; empty if none
    std::string expected; // what a conforming peer or option would carry
    std::string received; // what was actually there
};

// A failure from a code alone, with the code's generic description as the sentence.
[[nodiscard]] failure make_failure(errc code);

template <class T>
using result = tl::expected<T, failure>;

} // namespace wsp::http1
