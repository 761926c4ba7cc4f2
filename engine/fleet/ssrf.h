// The SSRF guard: CIDR sets over IPv4 and IPv6 (RFC 4632, RFC 4291 §2.3) and the policy that
// refuses link-local and cloud metadata addresses, and optionally private ones, before a probe
// connects. Judges the address actually connected to; no DNS here.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/socket.h>

#include "engine/fleet/errc.h"

namespace wsp::fleet {

// An IPv4 or IPv6 address. IPv4 is held as IPv4-mapped IPv6 (::ffff:a.b.c.d, RFC 4291 §2.5.5.2),
// so an IPv4 address and its mapped form are the same value.
struct ip_address {
    std::array<std::uint8_t, 16> bytes{};

    [[nodiscard]] bool is_v4() const noexcept;
    // Dotted quad for IPv4 (and mapped IPv4), RFC 5952 text for IPv6.
    [[nodiscard]] std::string text() const;

    friend bool operator==(const ip_address&, const ip_address&) = default;
};

// "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1"; no brackets, no zone. Errors: bad_cidr.
[[nodiscard]] wsp::expected<ip_address> parse_ip(std::string_view text);
[[nodiscard]] ip_address from_v4(std::array<std::uint8_t, 4> a) noexcept;
[[nodiscard]] ip_address from_v6(const std::array<std::uint8_t, 16>& a) noexcept;
// From a sockaddr_in or sockaddr_in6; std::nullopt for other families or a short length.
[[nodiscard]] std::optional<ip_address> from_sockaddr(const sockaddr* sa, socklen_t len) noexcept;

// One block: an address and a prefix length over the 128-bit form (an IPv4 /n is /96+n).
struct cidr_block {
    ip_address base; // host bits cleared
    unsigned prefix = 128;

    [[nodiscard]] bool contains(const ip_address& a) const noexcept;
    // "169.254.0.0/16", "fe80::/10", or a single address without "/n".
    [[nodiscard]] std::string text() const;
};

// "169.254.0.0/16", "fe80::/10", "10.1.2.3" (a /32), "::1" (a /128). Host bits set below the
// prefix are refused ("10.0.0.1/8" is a typo more often than a wish). Errors: bad_cidr.
[[nodiscard]] wsp::expected<cidr_block> parse_cidr(std::string_view text);

// A set of blocks; membership is a scan, sized for tens of blocks.
class cidr_set {
public:
    void add(const cidr_block& b) { blocks_.push_back(b); }
    // The first block containing `a`, or null.
    [[nodiscard]] const cidr_block* match(const ip_address& a) const noexcept;
    [[nodiscard]] bool empty() const noexcept { return blocks_.empty(); }
    [[nodiscard]] const std::vector<cidr_block>& blocks() const noexcept { return blocks_; }

private:
    std::vector<cidr_block> blocks_;
};

struct ssrf_policy {
    bool deny_private = false; // also refuse RFC 1918, loopback, ULA, CGNAT and unspecified
    cidr_set allow;            // --allow: exceptions that win over every refusal
};

enum class ssrf_reason : std::uint8_t {
    allowed = 0,
    allowed_by_exception = 1,
    cloud_metadata = 2,
    link_local = 3,
    private_network = 4,
    loopback = 5,
    unique_local = 6,
    shared_address = 7, // CGNAT, RFC 6598
    unspecified = 8,
};

struct ssrf_decision {
    bool allowed = true;
    ssrf_reason reason = ssrf_reason::allowed;
    // "refused 169.254.169.254: cloud metadata address (SSRF guard)"
    std::string sentence;
};

// Judges one address. IPv4-mapped IPv6 and NAT64 (64:ff9b::/96, RFC 6052) addresses are judged as
// the IPv4 address they carry. Allocates only the sentence.
[[nodiscard]] ssrf_decision judge_address(const ssrf_policy& policy, const ip_address& address);

} // namespace wsp::fleet
