// Parsing and formatting of numeric IPv4/IPv6 socket addresses (inet_pton(3), RFC 4291 §2.2).
#include "engine/runtime/address.h"

#include <arpa/inet.h>

#include <cstring>

#include "engine/runtime/errc.h"

namespace wsp::rt {

wsp::expected<address> address::parse(std::string_view ip, std::uint16_t port)
{
    if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') {
        ip = ip.substr(1, ip.size() - 2);
    }
    char buf[INET6_ADDRSTRLEN + 1] = {};
    if (ip.empty() || ip.size() >= sizeof(buf)) {
        return wsp::fail(errc::bad_address);
    }
    std::memcpy(buf, ip.data(), ip.size());
    address a;
    if (::inet_pton(AF_INET, buf, &a.storage_.v4.sin_addr) == 1) {
        a.storage_.v4.sin_family = AF_INET;
        a.storage_.v4.sin_port = htons(port);
        a.len_ = sizeof(sockaddr_in);
        return a;
    }
    if (::inet_pton(AF_INET6, buf, &a.storage_.v6.sin6_addr) == 1) {
        a.storage_.v6.sin6_family = AF_INET6;
        a.storage_.v6.sin6_port = htons(port);
        a.len_ = sizeof(sockaddr_in6);
        return a;
    }
    return wsp::fail(errc::bad_address);
}

wsp::expected<address> address::from_sockaddr(const sockaddr* sa, socklen_t len)
{
    address a;
    if (sa->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
        std::memcpy(&a.storage_.v4, sa, sizeof(sockaddr_in));
        a.len_ = sizeof(sockaddr_in);
        return a;
    }
    if (sa->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
        std::memcpy(&a.storage_.v6, sa, sizeof(sockaddr_in6));
        a.len_ = sizeof(sockaddr_in6);
        return a;
    }
    return wsp::fail(errc::address_family_unsupported);
}

address address::loopback_v4(std::uint16_t port) noexcept
{
    address a;
    a.storage_.v4.sin_family = AF_INET;
    a.storage_.v4.sin_port = htons(port);
    a.storage_.v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.len_ = sizeof(sockaddr_in);
    return a;
}

address address::loopback_v6(std::uint16_t port) noexcept
{
    address a;
    a.storage_.v6.sin6_family = AF_INET6;
    a.storage_.v6.sin6_port = htons(port);
    a.storage_.v6.sin6_addr = in6addr_loopback;
    a.len_ = sizeof(sockaddr_in6);
    return a;
}

std::uint16_t address::port() const noexcept
{
    return ntohs(family() == AF_INET6 ? storage_.v6.sin6_port : storage_.v4.sin_port);
}

void address::set_port(std::uint16_t port) noexcept
{
    if (family() == AF_INET6) {
        storage_.v6.sin6_port = htons(port);
    } else {
        storage_.v4.sin_port = htons(port);
    }
}

std::string address::to_string() const
{
    char buf[INET6_ADDRSTRLEN] = {};
    if (family() == AF_INET6) {
        ::inet_ntop(AF_INET6, &storage_.v6.sin6_addr, buf, sizeof(buf));
        return "[" + std::string(buf) + "]:" + std::to_string(port());
    }
    ::inet_ntop(AF_INET, &storage_.v4.sin_addr, buf, sizeof(buf));
    return std::string(buf) + ":" + std::to_string(port());
}

} // namespace wsp::rt
