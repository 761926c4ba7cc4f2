// Resolved addresses (RFC 3493 §3.3 sockaddr_in/sockaddr_in6 in a sockaddr_storage) and the
// numeric-literal and host-name checks (RFC 1123 §2.1, RFC 1035 §2.3.4 length limits) that run
// before any query is sent.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wsp::dns {

// Which address records a lookup asks for: A and AAAA (any), only A (v4) or only AAAA (v6).
enum class address_family : std::uint8_t { any = 0, v4 = 1, v6 = 2 };

// One address of a lookup result: an AF_INET or AF_INET6 socket address with port 0 until the
// caller fills it in with with_port(). Trivially copyable, no allocation.
struct resolved_address {
    sockaddr_storage storage{};
    socklen_t length = 0;

    // v4 or v6 (never any) for a filled address.
    [[nodiscard]] address_family family() const noexcept;
    // A copy with the port set (host byte order in, network byte order stored), ready for connect().
    [[nodiscard]] resolved_address with_port(std::uint16_t port) const noexcept;
    [[nodiscard]] std::uint16_t port() const noexcept;
    [[nodiscard]] const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&storage); }
    // Numeric form without port: "192.0.2.1", "2001:db8::1". Allocates.
    [[nodiscard]] std::string to_string() const;

    // Same family, address bytes and port (scope id and flow info included for IPv6).
    friend bool operator==(const resolved_address& a, const resolved_address& b) noexcept;
};

// Builds an address from a sockaddr of family AF_INET or AF_INET6 with a sufficient length;
// anything else yields nullopt.
[[nodiscard]] std::optional<resolved_address> from_sockaddr(const sockaddr* sa, std::size_t length) noexcept;

// Parses an IPv4 dotted-quad or IPv6 literal (without brackets or zone id). Port 0.
[[nodiscard]] std::optional<resolved_address> parse_numeric_address(std::string_view text) noexcept;

// True if `name` is a syntactically valid DNS host name: 1..253 bytes (254 with a trailing dot),
// labels of 1..63 bytes made of letters, digits, '-' and '_', no label starting or ending with '-'.
// Numeric literals are not host names; check them with parse_numeric_address() first.
[[nodiscard]] bool is_valid_host_name(std::string_view name) noexcept;

} // namespace wsp::dns
