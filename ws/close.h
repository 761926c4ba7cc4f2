// Close frame payloads, RFC 6455 §5.5.1 and §7.4: a 2-byte big-endian status code followed by a
// UTF-8 reason, or nothing at all. Code validity per §7.4.1/§7.4.2 and the IANA registry.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "proto/error.h"
#include "ws/error.h"

namespace wsp::ws {

// Registered status codes (§7.4.1 and the IANA "WebSocket Close Code Number Registry").
enum class close_code : std::uint16_t {
    normal_closure = 1000,
    going_away = 1001,
    protocol_error = 1002,
    unsupported_data = 1003,
    reserved = 1004,
    no_status_received = 1005, // never on the wire: stands for "close frame without a payload"
    abnormal_closure = 1006,   // never on the wire: connection dropped without a close frame
    invalid_payload_data = 1007,
    policy_violation = 1008,
    message_too_big = 1009,
    mandatory_extension = 1010,
    internal_error = 1011,
    service_restart = 1012,
    try_again_later = 1013,
    bad_gateway = 1014,
    tls_handshake_failure = 1015, // never on the wire
};

// A parsed close payload. `reason` views the payload passed to parse_close_payload.
struct close_info {
    std::uint16_t code = static_cast<std::uint16_t>(close_code::no_status_received);
    std::string_view reason;
};

// Largest reason that fits a control frame: 125 - 2 bytes of code.
inline constexpr std::size_t max_close_reason = 123;

// True if `code` may appear in a close frame: 1000-1003, 1007-1014, 3000-4999 (§7.4.1, §7.4.2).
[[nodiscard]] bool is_valid_wire_close_code(std::uint16_t code) noexcept;

// Parses a close frame payload. Empty -> code 1005 (no status) and no reason. Errors:
// close_payload_length_one, close_code_invalid, close_reason_invalid_utf8. No allocation; the
// reason views `payload`.
[[nodiscard]] wsp::expected<close_info> parse_close_payload(std::span<const std::uint8_t> payload) noexcept;

// A short human name: "normal closure", "going away", ..., "application-defined (4000-4999)".
// Total: every 16-bit value has a name. The view is static.
[[nodiscard]] std::string_view close_code_name(std::uint16_t code) noexcept;

} // namespace wsp::ws
