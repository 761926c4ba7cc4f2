// Errors of the proto module: URL and option parsing (RFC 6455 §3 ws/wss URIs).
#pragma once

#include <cstdint>

#include "proto/error.h"

namespace wsp::proto {

enum class errc : std::uint16_t {
    ok = 0,
    bad_scheme = 1,
    empty_host = 2,
    bad_port = 3,
    bad_url = 4,
    userinfo_in_url = 5,
    fragment_in_url = 6,
    bad_ipv6_literal = 7,
    bad_option = 8,
};

[[nodiscard]] const wsp::error_domain& domain_of(errc) noexcept;

} // namespace wsp::proto
