// Resolved addresses, numeric literals and host-name syntax (RFC 1123 §2.1, RFC 1035 §2.3.4).
#include "engine/dns/address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <cstring>

namespace wsp::dns {

namespace {

constexpr std::size_t max_name_length = 253;
constexpr std::size_t max_label_length = 63;

bool is_label_char(char c) noexcept
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool is_valid_label(std::string_view label) noexcept
{
    // RFC 1035 §2.3.4: labels are 63 octets or less; RFC 1035 §2.3.1: no empty label inside a name.
    if (label.empty() || label.size() > max_label_length) {
        return false;
    }
    // RFC 1123 §2.1: a label starts and ends with a letter or digit, never a hyphen.
    if (label.front() == '-' || label.back() == '-') {
        return false;
    }
    for (char c : label) {
        if (!is_label_char(c)) {
            return false;
        }
    }
    return true;
}

} // namespace

address_family resolved_address::family() const noexcept
{
    return storage.ss_family == AF_INET6 ? address_family::v6 : address_family::v4;
}

resolved_address resolved_address::with_port(std::uint16_t port) const noexcept
{
    resolved_address out = *this;
    if (storage.ss_family == AF_INET) {
        reinterpret_cast<sockaddr_in*>(&out.storage)->sin_port = htons(port);
    } else if (storage.ss_family == AF_INET6) {
        reinterpret_cast<sockaddr_in6*>(&out.storage)->sin6_port = htons(port);
    }
    return out;
}

std::uint16_t resolved_address::port() const noexcept
{
    if (storage.ss_family == AF_INET) {
        return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
    }
    if (storage.ss_family == AF_INET6) {
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
    }
    return 0;
}

std::string resolved_address::to_string() const
{
    std::array<char, INET6_ADDRSTRLEN> text{};
    const void* src = nullptr;
    if (storage.ss_family == AF_INET) {
        src = &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr;
    } else if (storage.ss_family == AF_INET6) {
        src = &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr;
    } else {
        return {};
    }
    if (::inet_ntop(storage.ss_family, src, text.data(), text.size()) == nullptr) {
        return {};
    }
    return std::string(text.data());
}

bool operator==(const resolved_address& a, const resolved_address& b) noexcept
{
    if (a.storage.ss_family != b.storage.ss_family || a.length != b.length) {
        return false;
    }
    if (a.storage.ss_family == AF_INET) {
        const auto* x = reinterpret_cast<const sockaddr_in*>(&a.storage);
        const auto* y = reinterpret_cast<const sockaddr_in*>(&b.storage);
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a.storage.ss_family == AF_INET6) {
        const auto* x = reinterpret_cast<const sockaddr_in6*>(&a.storage);
        const auto* y = reinterpret_cast<const sockaddr_in6*>(&b.storage);
        return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
               x->sin6_flowinfo == y->sin6_flowinfo &&
               std::memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(in6_addr)) == 0;
    }
    return a.storage.ss_family == AF_UNSPEC;
}

std::optional<resolved_address> from_sockaddr(const sockaddr* sa, std::size_t length) noexcept
{
    if (sa == nullptr) {
        return std::nullopt;
    }
    resolved_address out;
    if (sa->sa_family == AF_INET && length >= sizeof(sockaddr_in)) {
        std::memcpy(&out.storage, sa, sizeof(sockaddr_in));
        out.length = sizeof(sockaddr_in);
        return out;
    }
    if (sa->sa_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
        std::memcpy(&out.storage, sa, sizeof(sockaddr_in6));
        out.length = sizeof(sockaddr_in6);
        return out;
    }
    return std::nullopt;
}

std::optional<resolved_address> parse_numeric_address(std::string_view text) noexcept
{
    // inet_pton needs a terminated string; the longest IPv6 literal with an embedded IPv4 tail is
    // 45 characters, so anything longer is not a literal.
    std::array<char, INET6_ADDRSTRLEN + 1> buf{};
    if (text.empty() || text.size() >= buf.size()) {
        return std::nullopt;
    }
    std::memcpy(buf.data(), text.data(), text.size());
    if (std::memchr(buf.data(), '\0', text.size()) != nullptr) {
        return std::nullopt;
    }
    resolved_address out;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&out.storage);
    if (::inet_pton(AF_INET, buf.data(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        out.length = sizeof(sockaddr_in);
        return out;
    }
    out = resolved_address{};
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
    if (::inet_pton(AF_INET6, buf.data(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        out.length = sizeof(sockaddr_in6);
        return out;
    }
    return std::nullopt;
}

bool is_valid_host_name(std::string_view name) noexcept
{
    // RFC 1034 §3.1: a trailing dot marks an absolute name; it is not part of the length limit.
    if (!name.empty() && name.back() == '.') {
        name.remove_suffix(1);
    }
    // RFC 1035 §2.3.4: at most 255 octets on the wire, i.e. 253 characters in text form.
    if (name.empty() || name.size() > max_name_length) {
        return false;
    }
    while (true) {
        const std::size_t dot = name.find('.');
        if (!is_valid_label(name.substr(0, dot))) {
            return false;
        }
        if (dot == std::string_view::npos) {
            return true;
        }
        name.remove_prefix(dot + 1);
    }
}

} // namespace wsp::dns
