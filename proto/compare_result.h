// The outcome of `wsprobe check --compare-transports`: one check over the HTTP/1.1 upgrade
// (RFC 6455 §4) and one over HTTP/2 extended CONNECT (RFC 8441 §4), and the verdict on both.
#pragma once

#include <cstdint>
#include <string_view>

#include "proto/check_result.h"

namespace wsp::proto {

// How the two transports relate. agree: both work or both fail. disagree: exactly one works.
// h2_not_offered: the server does not offer WebSocket over HTTP/2 (ALPN did not select h2, or its
// SETTINGS lack ENABLE_CONNECT_PROTOCOL); clients then use HTTP/1.1, so the verdict is HTTP/1.1's.
// Append-only; the names are part of the JSON contract.
enum class transport_agreement : std::uint8_t { agree = 0, disagree = 1, h2_not_offered = 2 };

[[nodiscard]] constexpr std::string_view to_string(transport_agreement a) noexcept
{
    switch (a) {
    case transport_agreement::agree:
        return "agree";
    case transport_agreement::disagree:
        return "disagree";
    case transport_agreement::h2_not_offered:
        return "h2_not_offered";
    }
    return "agree";
}

struct compare_result {
    check_result combined; // status, failed phase, code, class, sentence and warnings of both
    transport_agreement agreement = transport_agreement::agree;
    check_result http1; // the spec with --http2 off
    check_result h2;    // the spec with --http2 require (wss://) or prior-knowledge (ws://)
};

} // namespace wsp::proto
