// CIDR matching and the SSRF policy: RFC 3927 and RFC 4291 §2.5.6 link-local, RFC 1918 private,
// RFC 6598 shared (CGNAT), RFC 4193 unique local, and the cloud metadata endpoints.
#include "engine/fleet/ssrf.h"

#include <charconv>
#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>

namespace wsp::fleet {
namespace {

constexpr std::array<std::uint8_t, 12> mapped_prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
constexpr std::array<std::uint8_t, 12> nat64_prefix{0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};

struct known_block {
    std::string_view cidr;
    ssrf_reason reason;
    bool always; // refused by default; otherwise only with deny_private
};

// Order matters: the first match names the reason (metadata before the link-local block holding it).
constexpr std::array<known_block, 14> known_blocks{{
    {"169.254.169.254", ssrf_reason::cloud_metadata, true},  // AWS, GCP, Azure, OpenStack
    {"fd00:ec2::254", ssrf_reason::cloud_metadata, true},    // AWS IMDS over IPv6
    {"100.100.100.200", ssrf_reason::cloud_metadata, true},  // Alibaba Cloud
    {"169.254.0.0/16", ssrf_reason::link_local, true},       // RFC 3927
    {"fe80::/10", ssrf_reason::link_local, true},            // RFC 4291 §2.5.6
    {"127.0.0.0/8", ssrf_reason::loopback, false},           // RFC 1122 §3.2.1.3
    {"::1", ssrf_reason::loopback, false},                   // RFC 4291 §2.5.3
    {"10.0.0.0/8", ssrf_reason::private_network, false},     // RFC 1918
    {"172.16.0.0/12", ssrf_reason::private_network, false},  // RFC 1918
    {"192.168.0.0/16", ssrf_reason::private_network, false}, // RFC 1918
    {"fc00::/7", ssrf_reason::unique_local, false},          // RFC 4193
    {"100.64.0.0/10", ssrf_reason::shared_address, false},   // RFC 6598
    {"0.0.0.0/8", ssrf_reason::unspecified, false},          // RFC 1122: "this network"
    {"::", ssrf_reason::unspecified, false},                 // RFC 4291 §2.5.2
}};

std::string_view describe(ssrf_reason r) noexcept
{
    switch (r) {
    case ssrf_reason::allowed:
        return "allowed";
    case ssrf_reason::allowed_by_exception:
        return "allowed by --allow";
    case ssrf_reason::cloud_metadata:
        return "cloud metadata address";
    case ssrf_reason::link_local:
        return "link-local address";
    case ssrf_reason::private_network:
        return "private network address (RFC 1918)";
    case ssrf_reason::loopback:
        return "loopback address";
    case ssrf_reason::unique_local:
        return "unique local address (fc00::/7)";
    case ssrf_reason::shared_address:
        return "carrier-grade NAT address (100.64.0.0/10)";
    case ssrf_reason::unspecified:
        return "unspecified address";
    }
    return "refused";
}

const std::vector<std::pair<cidr_block, known_block>>& parsed_known_blocks()
{
    static const auto blocks = [] {
        std::vector<std::pair<cidr_block, known_block>> v;
        v.reserve(known_blocks.size());
        for (const auto& k : known_blocks) {
            v.emplace_back(*parse_cidr(k.cidr), k);
        }
        return v;
    }();
    return blocks;
}

// NAT64 (RFC 6052 §2.1 well-known prefix) carries an IPv4 address in its last 32 bits.
ip_address embedded_v4(const ip_address& a) noexcept
{
    if (std::memcmp(a.bytes.data(), nat64_prefix.data(), nat64_prefix.size()) != 0) {
        return a;
    }
    return from_v4({a.bytes[12], a.bytes[13], a.bytes[14], a.bytes[15]});
}

} // namespace

bool ip_address::is_v4() const noexcept
{
    return std::memcmp(bytes.data(), mapped_prefix.data(), mapped_prefix.size()) == 0;
}

std::string ip_address::text() const
{
    std::array<char, INET6_ADDRSTRLEN> buf{};
    if (is_v4()) {
        inet_ntop(AF_INET, bytes.data() + 12, buf.data(), buf.size());
    } else {
        inet_ntop(AF_INET6, bytes.data(), buf.data(), buf.size());
    }
    return std::string(buf.data());
}

ip_address from_v4(std::array<std::uint8_t, 4> a) noexcept
{
    ip_address out;
    std::memcpy(out.bytes.data(), mapped_prefix.data(), mapped_prefix.size());
    std::memcpy(out.bytes.data() + 12, a.data(), 4);
    return out;
}

ip_address from_v6(const std::array<std::uint8_t, 16>& a) noexcept
{
    return ip_address{a};
}

wsp::expected<ip_address> parse_ip(std::string_view text)
{
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) {
        return fail(errc::bad_cidr);
    }
    const std::string s(text);
    std::array<std::uint8_t, 16> buf{};
    if (inet_pton(AF_INET, s.c_str(), buf.data()) == 1) {
        return from_v4({buf[0], buf[1], buf[2], buf[3]});
    }
    if (inet_pton(AF_INET6, s.c_str(), buf.data()) == 1) {
        return from_v6(buf);
    }
    return fail(errc::bad_cidr);
}

std::optional<ip_address> from_sockaddr(const sockaddr* sa, socklen_t len) noexcept
{
    if (sa == nullptr) {
        return std::nullopt;
    }
    if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
        sockaddr_in in{};
        std::memcpy(&in, sa, sizeof(in));
        std::array<std::uint8_t, 4> a{};
        std::memcpy(a.data(), &in.sin_addr, 4);
        return from_v4(a);
    }
    if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
        sockaddr_in6 in6{};
        std::memcpy(&in6, sa, sizeof(in6));
        std::array<std::uint8_t, 16> a{};
        std::memcpy(a.data(), &in6.sin6_addr, 16);
        return from_v6(a);
    }
    return std::nullopt;
}

bool cidr_block::contains(const ip_address& a) const noexcept
{
    const unsigned full = prefix / 8;
    if (std::memcmp(a.bytes.data(), base.bytes.data(), full) != 0) {
        return false;
    }
    const unsigned rest = prefix % 8;
    if (rest == 0) {
        return true;
    }
    const auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
    return (a.bytes[full] & mask) == base.bytes[full];
}

std::string cidr_block::text() const
{
    const unsigned shown = base.is_v4() && prefix >= 96 ? prefix - 96 : prefix;
    const unsigned host = base.is_v4() && prefix >= 96 ? 32 : 128;
    return shown == host ? base.text() : base.text() + "/" + std::to_string(shown);
}

wsp::expected<cidr_block> parse_cidr(std::string_view text)
{
    const auto slash = text.find('/');
    auto addr = parse_ip(text.substr(0, slash));
    if (!addr) {
        return tl::unexpected(addr.error());
    }
    // An IPv4 literal's prefix counts IPv4 bits; "::ffff:a.b.c.d/n" is IPv6 text and counts 128.
    const bool v4_text = text.substr(0, slash).find(':') == std::string_view::npos;
    const unsigned host_bits = v4_text ? 32 : 128;
    unsigned prefix = host_bits;
    if (slash != std::string_view::npos) {
        const std::string_view digits = text.substr(slash + 1);
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
        if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
            prefix > host_bits || (digits.size() > 1 && digits[0] == '0')) {
            return fail(errc::bad_cidr);
        }
    }
    cidr_block b{*addr, v4_text ? prefix + 96 : prefix};
    cidr_block cleared = b;
    for (unsigned bit = b.prefix; bit < 128; ++bit) {
        cleared.base.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80U >> (bit % 8)));
    }
    if (!(cleared.base == b.base)) {
        return fail(errc::bad_cidr);
    }
    return b;
}

const cidr_block* cidr_set::match(const ip_address& a) const noexcept
{
    for (const auto& b : blocks_) {
        if (b.contains(a)) {
            return &b;
        }
    }
    return nullptr;
}

ssrf_decision judge_address(const ssrf_policy& policy, const ip_address& address)
{
    const ip_address judged = embedded_v4(address);
    const cidr_block* exception = policy.allow.match(address);
    if (exception == nullptr) {
        exception = policy.allow.match(judged);
    }
    for (const auto& [block, known] : parsed_known_blocks()) {
        if (!block.contains(judged) || (!known.always && !policy.deny_private)) {
            continue;
        }
        if (exception != nullptr) {
            return {true, ssrf_reason::allowed_by_exception,
                    "allowed " + address.text() + ": " + std::string(describe(known.reason)) +
                        " permitted by --allow " + exception->text()};
        }
        return {false, known.reason,
                "refused " + address.text() + ": " + std::string(describe(known.reason)) + " (SSRF guard)"};
    }
    return {true, ssrf_reason::allowed, "allowed " + address.text()};
}

} // namespace wsp::fleet
