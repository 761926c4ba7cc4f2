// Frame header encoding and frame builders, RFC 6455 §5.2 (layout), §5.3 (masking), §5.5
// (control frames) and §5.5.1 (close payload).
#include "ws/frame.h"

#include <cstring>

#include "ws/close.h"
#include "ws/utf8.h"

namespace wsp::ws {

std::string_view to_string(opcode op) noexcept
{
    switch (op) {
    case opcode::continuation: return "continuation";
    case opcode::text: return "text";
    case opcode::binary: return "binary";
    case opcode::close: return "close";
    case opcode::ping: return "ping";
    case opcode::pong: return "pong";
    }
    return "reserved";
}

wsp::expected<std::size_t> encode_header(const frame_header& h, std::span<std::uint8_t> out) noexcept
{
    const auto op = static_cast<std::uint8_t>(h.op);
    // RFC 6455 §5.2: opcodes 0x3-0x7 and 0xB-0xF are reserved.
    if (!is_known_opcode(op)) {
        return wsp::fail(errc::unknown_opcode);
    }
    // RFC 6455 §5.5: control frames must not be fragmented and carry at most 125 bytes.
    if (is_control(h.op) && !h.fin) {
        return wsp::fail(errc::fragmented_control_frame);
    }
    if (is_control(h.op) && h.payload_length > max_control_payload) {
        return wsp::fail(errc::control_frame_too_long);
    }
    // RFC 6455 §5.2: the most significant bit of a 64-bit length must be 0.
    if ((h.payload_length >> 63) != 0) {
        return wsp::fail(errc::length_top_bit_set);
    }
    const std::size_t size = header_size(h.payload_length, h.masked);
    if (out.size() < size) {
        return wsp::fail(errc::buffer_too_small);
    }
    std::uint8_t* p = out.data();
    p[0] = static_cast<std::uint8_t>((h.fin ? 0x80U : 0U) | (h.rsv1 ? 0x40U : 0U) | op);
    const std::uint8_t mask_bit = h.masked ? 0x80U : 0U;
    std::size_t n = 2;
    // RFC 6455 §5.2: the minimal number of bytes must be used to encode the length.
    if (h.payload_length < 126) {
        p[1] = static_cast<std::uint8_t>(mask_bit | h.payload_length);
    } else if (h.payload_length <= 0xFFFF) {
        p[1] = static_cast<std::uint8_t>(mask_bit | 126U);
        p[2] = static_cast<std::uint8_t>(h.payload_length >> 8);
        p[3] = static_cast<std::uint8_t>(h.payload_length);
        n = 4;
    } else {
        p[1] = static_cast<std::uint8_t>(mask_bit | 127U);
        for (int i = 0; i < 8; ++i) {
            p[2 + i] = static_cast<std::uint8_t>(h.payload_length >> (56 - 8 * i));
        }
        n = 10;
    }
    if (h.masked) {
        std::memcpy(p + n, h.key.data(), 4);
        n += 4;
    }
    return n;
}

wsp::expected<std::size_t> build_frame(std::span<std::uint8_t> out, opcode op,
                                       std::span<const std::uint8_t> payload, std::optional<mask_key> key,
                                       bool fin) noexcept
{
    frame_header h;
    h.op = op;
    h.fin = fin;
    h.masked = key.has_value();
    h.key = key.value_or(mask_key{});
    h.payload_length = payload.size();
    auto n = encode_header(h, out);
    if (!n) {
        return n;
    }
    if (out.size() - *n < payload.size()) {
        return wsp::fail(errc::buffer_too_small);
    }
    std::uint8_t* body = out.data() + *n;
    if (key) {
        // RFC 6455 §5.3: every payload byte of a client frame is masked.
        copy_masked(body, payload, *key);
    } else if (!payload.empty()) {
        std::memcpy(body, payload.data(), payload.size());
    }
    return *n + payload.size();
}

namespace {
std::span<const std::uint8_t> as_bytes(std::string_view s) noexcept
{
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
} // namespace

wsp::expected<std::size_t> build_text(std::span<std::uint8_t> out, std::string_view text,
                                      std::optional<mask_key> key) noexcept
{
    return build_frame(out, opcode::text, as_bytes(text), key);
}

wsp::expected<std::size_t> build_binary(std::span<std::uint8_t> out, std::span<const std::uint8_t> data,
                                        std::optional<mask_key> key) noexcept
{
    return build_frame(out, opcode::binary, data, key);
}

wsp::expected<std::size_t> build_ping(std::span<std::uint8_t> out, std::span<const std::uint8_t> payload,
                                      std::optional<mask_key> key) noexcept
{
    return build_frame(out, opcode::ping, payload, key);
}

wsp::expected<std::size_t> build_pong(std::span<std::uint8_t> out, std::span<const std::uint8_t> payload,
                                      std::optional<mask_key> key) noexcept
{
    return build_frame(out, opcode::pong, payload, key);
}

wsp::expected<std::size_t> build_close(std::span<std::uint8_t> out, std::uint16_t code,
                                       std::string_view reason, std::optional<mask_key> key) noexcept
{
    const auto no_status = static_cast<std::uint16_t>(close_code::no_status_received);
    if (code == no_status && reason.empty()) {
        return build_frame(out, opcode::close, {}, key);
    }
    // RFC 6455 §7.4.1: 1005, 1006, 1015 and unassigned codes must not be sent.
    if (!is_valid_wire_close_code(code)) {
        return wsp::fail(errc::close_code_invalid);
    }
    // RFC 6455 §5.5: the whole close payload (code + reason) fits in 125 bytes.
    if (reason.size() > max_close_reason) {
        return wsp::fail(errc::control_frame_too_long);
    }
    // RFC 6455 §5.5.1: the reason is UTF-8.
    if (!validate_utf8(reason)) {
        return wsp::fail(errc::close_reason_invalid_utf8);
    }
    std::uint8_t body[max_control_payload];
    body[0] = static_cast<std::uint8_t>(code >> 8);
    body[1] = static_cast<std::uint8_t>(code);
    if (!reason.empty()) {
        std::memcpy(body + 2, reason.data(), reason.size());
    }
    return build_frame(out, opcode::close, {body, 2 + reason.size()}, key);
}

} // namespace wsp::ws
