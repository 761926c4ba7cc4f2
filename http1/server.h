// Server-role helpers for the lab (RFC 6455 §4.2): checking a client's upgrade request,
// computing the accept value, and writing 101 and arbitrary responses into a caller's buffer.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "http1/error.h"
#include "http1/parser.h"

namespace wsp::http1 {

// What a valid client upgrade request asks for. Views point into the request bytes.
struct client_upgrade {
    std::string_view target;
    std::string_view key;            // Sec-WebSocket-Key, valid base64 of 16 bytes
    std::span<const header> headers; // all request headers, for Origin, extensions and the like

    // True when the client offered subprotocol `name` (exact match, RFC 6455 §4.2.2).
    [[nodiscard]] bool offers_subprotocol(std::string_view name) const noexcept;
};

// RFC 6455 §4.2.1: GET, HTTP/1.1, Host, Upgrade contains websocket, Connection contains upgrade,
// a Sec-WebSocket-Key of 16 bytes, Sec-WebSocket-Version 13. A failure's `status` is the answer a
// server should send: 400, or 426 for the version (then with Sec-WebSocket-Version: 13, §4.4).
// Errors: bad_method, bad_http_version, missing_host, missing_upgrade_header, bad_upgrade_token,
// missing_connection_header, bad_connection_token, invalid_key, unsupported_ws_version.
[[nodiscard]] result<client_upgrade> validate_upgrade_request(const request_head& head);

// Writes "HTTP/1.1 101 Switching Protocols" with Upgrade, Connection, Sec-WebSocket-Accept for
// `client_key`, Sec-WebSocket-Protocol when `subprotocol` is not empty, then `extra` headers and
// the empty line. Returns the bytes written. Errors: invalid_subprotocol, invalid_header_name,
// invalid_header_value, buffer_too_small. Names and values are checked, so a lab that wants to
// send malformed bytes writes them itself.
[[nodiscard]] result<std::size_t> write_switching_protocols(std::span<char> out, std::string_view client_key,
                                                            std::string_view subprotocol = {},
                                                            std::span<const header> extra = {});

// Writes "HTTP/1.1 <status> <reason>", `headers`, Content-Length (unless `headers` has one) and
// `body`. An empty reason is replaced by the standard one when known. Errors: invalid_status,
// invalid_header_name, invalid_header_value, buffer_too_small.
[[nodiscard]] result<std::size_t> write_response(std::span<char> out, int status, std::string_view reason,
                                                 std::span<const header> headers, std::string_view body = {});

// The standard reason phrase for `status` (RFC 7231 §6.1 and common additions), or "".
[[nodiscard]] std::string_view reason_phrase(int status) noexcept;

} // namespace wsp::http1
