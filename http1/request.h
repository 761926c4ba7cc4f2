// The client's upgrade request (RFC 6455 §4.1, RFC 7230 §3 and §5.4): written into a caller's
// buffer, and rendered as a transcript for --verbose with secret header values redacted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "http1/error.h"
#include "http1/key.h"

namespace wsp::http1 {

// A header the caller adds. Names must be RFC 7230 tokens; values must not contain CR, LF, NUL
// or another control character except HTAB.
struct custom_header {
    std::string_view name;
    std::string_view value;
    bool secret = false;         // shown as <redacted> in the transcript
    bool override_owned = false; // may replace a header the writer owns (e.g. Host) instead of
                                 // being rejected as a duplicate
};

// What the request says. Views must outlive the write or render call only. `host` is not used
// (nor checked) when a custom Host header with override_owned replaces the writer's.
struct upgrade_request {
    bool secure = false;                            // wss: the default port is 443, else 80
    std::string_view host;                          // DNS name, IPv4, or IPv6 with or without brackets
    std::uint16_t port = 0;                         // 0 or the scheme's default: no port in Host
    std::string_view target = "/";                  // path and query, e.g. "/chat?room=1"; empty means "/"
    std::span<const std::string_view> subprotocols; // each an RFC 7230 token, in order
    std::span<const std::string_view> extensions;   // Sec-WebSocket-Extensions values, in order
    std::string_view origin;                        // empty: no Origin header
    std::span<const custom_header> headers;         // in order, after the writer's own
};

// Checks the request options without writing: the same checks write_upgrade_request makes.
// Errors (class config): invalid_host, invalid_target, invalid_subprotocol, invalid_header_name,
// invalid_header_value, duplicate_owned_header. The sentence names the header at fault.
[[nodiscard]] result<void> check_request_options(const upgrade_request& req);

// Writes the request with `key` into `out`: "GET <target> HTTP/1.1", then Host (port when not the
// default, IPv6 bracketed), Upgrade: websocket, Connection: Upgrade, Sec-WebSocket-Key,
// Sec-WebSocket-Version: 13, Sec-WebSocket-Protocol (comma list, if any), one
// Sec-WebSocket-Extensions per offered value, Origin (if set), then the custom headers; a custom
// header with override_owned replaces the writer's header of that name in place. Returns the
// bytes written. Errors: those of check_request_options, and buffer_too_small (nothing useful is
// left in `out`). Allocates only on failure.
[[nodiscard]] result<std::size_t> write_upgrade_request(std::span<char> out, const upgrade_request& req,
                                                        const websocket_key& key);

// The request as text for --verbose: the same lines as written, LF-terminated, without the final
// empty line, with the value of every secret header shown as <redacted>. Authorization, Cookie
// and Proxy-Authorization are secret whatever their flag. Errors as check_request_options.
[[nodiscard]] result<std::string> render_transcript(const upgrade_request& req, const websocket_key& key);

// True when a header named `name` is always redacted (Authorization, Cookie, Proxy-Authorization).
[[nodiscard]] bool is_secret_by_default(std::string_view name) noexcept;

} // namespace wsp::http1
