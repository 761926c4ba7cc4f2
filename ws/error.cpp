// Names, failure classes and descriptions of the ws module's error codes (RFC 6455 §5, §7.4).
#include "ws/error.h"

namespace wsp::ws {
namespace {

std::string_view name_of(std::uint16_t code) noexcept
{
    switch (static_cast<errc>(code)) {
    case errc::ok: return "ok";
    case errc::reserved_bits_set: return "reserved_bits_set";
    case errc::unknown_opcode: return "unknown_opcode";
    case errc::fragmented_control_frame: return "fragmented_control_frame";
    case errc::control_frame_too_long: return "control_frame_too_long";
    case errc::non_minimal_length: return "non_minimal_length";
    case errc::length_top_bit_set: return "length_top_bit_set";
    case errc::masked_server_frame: return "masked_server_frame";
    case errc::unmasked_client_frame: return "unmasked_client_frame";
    case errc::continuation_without_start: return "continuation_without_start";
    case errc::data_frame_inside_fragmented_message: return "data_frame_inside_fragmented_message";
    case errc::message_too_large: return "message_too_large";
    case errc::invalid_utf8: return "invalid_utf8";
    case errc::close_payload_length_one: return "close_payload_length_one";
    case errc::close_code_invalid: return "close_code_invalid";
    case errc::close_reason_invalid_utf8: return "close_reason_invalid_utf8";
    case errc::frame_after_close: return "frame_after_close";
    case errc::buffer_too_small: return "buffer_too_small";
    }
    return "unknown";
}

failure_class class_of(std::uint16_t code) noexcept
{
    switch (static_cast<errc>(code)) {
    case errc::ok: return failure_class::none;
    case errc::message_too_large:
    case errc::buffer_too_small: return failure_class::limit;
    default: return failure_class::protocol;
    }
}

std::string_view describe(std::uint16_t code) noexcept
{
    switch (static_cast<errc>(code)) {
    case errc::ok: return "no error";
    case errc::reserved_bits_set: return "frame has reserved bits set that no extension allows";
    case errc::unknown_opcode: return "frame uses a reserved opcode";
    case errc::fragmented_control_frame: return "control frame is fragmented";
    case errc::control_frame_too_long: return "control frame payload is longer than 125 bytes";
    case errc::non_minimal_length: return "payload length is not in its shortest encoding";
    case errc::length_top_bit_set: return "64-bit payload length has its top bit set";
    case errc::masked_server_frame: return "server sent a masked frame";
    case errc::unmasked_client_frame: return "client sent an unmasked frame";
    case errc::continuation_without_start: return "continuation frame without a message in progress";
    case errc::data_frame_inside_fragmented_message:
        return "new data message started before the fragmented one ended";
    case errc::message_too_large: return "message is larger than the allowed size";
    case errc::invalid_utf8: return "text message is not valid UTF-8";
    case errc::close_payload_length_one: return "close frame payload is one byte long";
    case errc::close_code_invalid: return "close code is not allowed on the wire";
    case errc::close_reason_invalid_utf8: return "close reason is not valid UTF-8";
    case errc::frame_after_close: return "data received after the close frame";
    case errc::buffer_too_small: return "output buffer is too small for the frame";
    }
    return "unknown ws error";
}

constexpr wsp::error_domain ws_domain{"ws", &name_of, &class_of, &describe};

} // namespace

const wsp::error_domain& domain_of(errc) noexcept
{
    return ws_domain;
}

} // namespace wsp::ws
