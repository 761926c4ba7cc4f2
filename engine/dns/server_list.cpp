// Explicit DNS server addresses: "ip", "ip:port", "[ipv6]", "[ipv6]:port" (RFC 3986 §3.2.2).
#include "engine/dns/server_list.h"

#include <charconv>

namespace wsp::dns {

namespace {

wsp::expected<std::uint16_t> parse_port(std::string_view text) noexcept
{
    // RFC 3986 §3.2.3: port = *DIGIT; 0 cannot be a server port, and signs or spaces are not digits.
    if (text.empty() || text.size() > 5 || text.front() < '1' || text.front() > '9') {
        return wsp::fail(errc::bad_server);
    }
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value > 65535) {
        return wsp::fail(errc::bad_server);
    }
    return static_cast<std::uint16_t>(value);
}

} // namespace

wsp::expected<resolved_address> parse_server(std::string_view text) noexcept
{
    std::string_view host = text;
    std::uint16_t port = default_dns_port;
    if (!text.empty() && text.front() == '[') {
        // RFC 3986 §3.2.2: an IPv6 literal with a port is enclosed in brackets.
        const std::size_t close = text.find(']');
        if (close == std::string_view::npos) {
            return wsp::fail(errc::bad_server);
        }
        host = text.substr(1, close - 1);
        const std::string_view rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                return wsp::fail(errc::bad_server);
            }
            auto p = parse_port(rest.substr(1));
            if (!p) {
                return wsp::unexpected(p.error());
            }
            port = *p;
        }
        auto address = parse_numeric_address(host);
        if (!address || address->family() != address_family::v6) {
            return wsp::fail(errc::bad_server);
        }
        return address->with_port(port);
    }
    const std::size_t colon = text.find(':');
    if (colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
        host = text.substr(0, colon);
        auto p = parse_port(text.substr(colon + 1));
        if (!p) {
            return wsp::unexpected(p.error());
        }
        port = *p;
    }
    auto address = parse_numeric_address(host);
    if (!address) {
        return wsp::fail(errc::bad_server);
    }
    return address->with_port(port);
}

} // namespace wsp::dns
