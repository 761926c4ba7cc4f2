// ws:// and wss:// URLs (RFC 6455 §3): scheme, host (name, IPv4, or bracketed IPv6), port, and
// the request target. Fragments are refused (§3: "must not be used"); userinfo is refused too.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proto/errc.h"

namespace wsp::proto {

enum class host_kind : std::uint8_t { name = 0, ipv4 = 1, ipv6 = 2 };

struct ws_url {
    bool secure = false;        // wss
    std::string host;           // without brackets for IPv6
    host_kind kind = host_kind::name;
    std::uint16_t port = 80;
    bool explicit_port = false; // the URL named a port
    std::string target = "/";   // path and query, never empty

    // True when the port is the scheme's default (80 for ws, 443 for wss).
    [[nodiscard]] bool default_port() const noexcept { return port == (secure ? 443 : 80); }
    // host[:port] as the Host header and :authority want it (IPv6 bracketed, default port omitted).
    [[nodiscard]] std::string authority() const;
    // The URL in canonical form, e.g. "wss://[::1]:8443/chat?x=1".
    [[nodiscard]] std::string text() const;
};

// Parses a ws:// or wss:// URL. Scheme and host names are case-insensitive (lowered here);
// the target keeps its case. Errors: bad_scheme, empty_host, bad_port, bad_url,
// userinfo_in_url, fragment_in_url, bad_ipv6_literal.
[[nodiscard]] wsp::expected<ws_url> parse_ws_url(std::string_view text);

// A one-line explanation of a URL error for the CLI, naming the input.
[[nodiscard]] std::string describe_url_error(const wsp::error& e, std::string_view input);

} // namespace wsp::proto
