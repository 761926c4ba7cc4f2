// Parsing of explicit DNS server addresses ("ip", "ip:port", "[ipv6]", "[ipv6]:port"; RFC 3986
// §3.2.2 brackets for IPv6) used to pin a resolver instead of reading /etc/resolv.conf.
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/dns/address.h"
#include "engine/dns/error.h"
#include "proto/error.h"

namespace wsp::dns {

inline constexpr std::uint16_t default_dns_port = 53;

// Parses one server. A bare IPv6 literal ("::1") takes the default port; with a port it must be
// bracketed ("[::1]:5353"). Ports are 1..65535 in decimal. Host names are refused (a resolver's
// own server cannot need resolving). Errors: errc::bad_server. No allocation.
[[nodiscard]] wsp::expected<resolved_address> parse_server(std::string_view text) noexcept;

} // namespace wsp::dns
