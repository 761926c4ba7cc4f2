// Close payload parsing and close code names, RFC 6455 §5.5.1 and §7.4.
#include "ws/close.h"

#include "ws/utf8.h"

namespace wsp::ws {

bool is_valid_wire_close_code(std::uint16_t code) noexcept
{
    // RFC 6455 §7.4.1: 1000-1003 and 1007-1011 are defined for use on the wire; IANA adds
    // 1012-1014. 1004 is reserved; 1005, 1006 and 1015 must never be sent.
    if (code >= 1000 && code <= 1003) {
        return true;
    }
    if (code >= 1007 && code <= 1014) {
        return true;
    }
    // RFC 6455 §7.4.2: 3000-3999 registered with IANA, 4000-4999 private use. Codes below 1000
    // are unused and 1016-2999 are reserved for future revisions of the protocol.
    return code >= 3000 && code <= 4999;
}

wsp::expected<close_info> parse_close_payload(std::span<const std::uint8_t> payload) noexcept
{
    close_info info;
    if (payload.empty()) {
        return info;
    }
    // RFC 6455 §5.5.1: if there is a body, its first two bytes are the status code.
    if (payload.size() == 1) {
        return wsp::fail(errc::close_payload_length_one);
    }
    info.code = static_cast<std::uint16_t>((payload[0] << 8) | payload[1]);
    // RFC 6455 §7.4: only codes defined for the wire are accepted.
    if (!is_valid_wire_close_code(info.code)) {
        return wsp::fail(errc::close_code_invalid);
    }
    const auto reason = payload.subspan(2);
    // RFC 6455 §5.5.1: the reason is UTF-8 encoded data.
    if (!validate_utf8(reason)) {
        return wsp::fail(errc::close_reason_invalid_utf8);
    }
    info.reason = {reinterpret_cast<const char*>(reason.data()), reason.size()};
    return info;
}

std::string_view close_code_name(std::uint16_t code) noexcept
{
    switch (static_cast<close_code>(code)) {
    case close_code::normal_closure: return "normal closure";
    case close_code::going_away: return "going away";
    case close_code::protocol_error: return "protocol error";
    case close_code::unsupported_data: return "unsupported data";
    case close_code::reserved: return "reserved (1004)";
    case close_code::no_status_received: return "no status received";
    case close_code::abnormal_closure: return "abnormal closure";
    case close_code::invalid_payload_data: return "invalid frame payload data";
    case close_code::policy_violation: return "policy violation";
    case close_code::message_too_big: return "message too big";
    case close_code::mandatory_extension: return "mandatory extension";
    case close_code::internal_error: return "internal server error";
    case close_code::service_restart: return "service restart";
    case close_code::try_again_later: return "try again later";
    case close_code::bad_gateway: return "bad gateway";
    case close_code::tls_handshake_failure: return "TLS handshake failure";
    }
    if (code < 1000) {
        return "invalid (below 1000)";
    }
    if (code < 3000) {
        return "reserved for the protocol (1016-2999)";
    }
    if (code < 4000) {
        return "registered (3000-3999)";
    }
    if (code < 5000) {
        return "application-defined (4000-4999)";
    }
    return "invalid (5000 and above)";
}

} // namespace wsp::ws
