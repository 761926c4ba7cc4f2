// RFC 8441 §4-§5: the extended CONNECT request that bootstraps a WebSocket on an HTTP/2 stream,
// its header validation, and validation of the server's answer (mirroring RFC 6455 §4.1 checks).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "h2/error.h"
#include "h2/event.h"
#include "proto/error.h"

namespace wsp::h2 {

// What to send on the extended CONNECT. Views need only live for the call that takes the request.
struct connect_request {
    std::string_view scheme = "https";          // "https" or "http" (RFC 8441 §5)
    std::string_view authority;                 // host[:port], no userinfo (RFC 9113 §8.3.1)
    std::string_view path = "/";                // origin-form path and query
    std::vector<std::string_view> subprotocols; // offered, in preference order (tokens)
    std::string_view extensions;                // sec-websocket-extensions value, empty for none
    std::string_view origin;                    // origin header value, empty for none
    std::vector<header_view> headers;           // extra headers; names are lowercased when built
};

// Builds the header list of an extended CONNECT (RFC 8441 §5): :method CONNECT, :protocol
// websocket, :scheme, :path, :authority, sec-websocket-version 13, then the optional
// sec-websocket-protocol, sec-websocket-extensions and origin, then the extra headers.
// Never sec-websocket-key or sec-websocket-accept (RFC 8441 §5). Fails with a config-class errc
// (invalid_scheme, invalid_path, invalid_authority, invalid_subprotocol, invalid_header,
// connection_specific_header, reserved_header) and builds nothing. Allocates the returned list.
[[nodiscard]] wsp::expected<std::vector<header_field>> build_connect_headers(const connect_request& req);

// Checks one extra header to be sent in a request or a response: a non-empty lowercase-able
// token name that is not a pseudo-header, not connection-specific (RFC 9113 §8.2.2) and not
// reserved (`reserved` lists names the caller sets itself); a value without NUL, CR, LF or
// leading/trailing whitespace (RFC 9113 §8.2.1). Names compare case-insensitively.
[[nodiscard]] wsp::expected<void> check_extra_header(const header_view& h,
                                                     std::span<const std::string_view> reserved) noexcept;

// What an accepted extended CONNECT negotiated.
struct connect_accepted {
    int status = 0;          // 2xx
    std::string subprotocol; // empty when none was selected
    std::string extensions;  // sec-websocket-extensions as answered, empty when none
};

// Why an extended CONNECT answer is not acceptable: an errc of this module and a sentence a
// human can act on, e.g. "Server answered the extended CONNECT with 403; expected 2xx".
struct connect_rejected {
    wsp::error code;
    std::string message;
};

// Validates the response headers event of an extended CONNECT stream against what was offered.
// RFC 8441 §5: success is any 2xx. RFC 6455 §4.1 (applied by RFC 8441 §5): a selected subprotocol
// must be one offered (case-sensitive); extensions only if offered. `asserted_subprotocol`, when
// non-empty, must be exactly the one selected. Allocates the strings it returns.
[[nodiscard]] tl::expected<connect_accepted, connect_rejected>
validate_connect_response(const event& response, const connect_request& request,
                          std::string_view asserted_subprotocol = {});

// Sentences for stream failures reported by events: "Server reset the stream with
// REFUSED_STREAM (0x7)" and "Server sent GOAWAY with ENHANCE_YOUR_CALM (0xb), last stream 3:
// <debug>". They describe received frames; callers pair them with errc::stream_reset / goaway.
[[nodiscard]] std::string describe_reset(std::uint32_t error_code);
[[nodiscard]] std::string describe_goaway(const event& goaway);

} // namespace wsp::h2
