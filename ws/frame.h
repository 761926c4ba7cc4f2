// RFC 6455 §5.2 base framing: opcodes, the frame header, its encoder (at most 14 bytes), and
// builders of complete small frames (data, ping, pong, close) into a caller buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "proto/error.h"
#include "ws/error.h"
#include "ws/mask.h"

namespace wsp::ws {

// Frame opcodes (§5.2, §11.8). Values 0x3-0x7 and 0xB-0xF are reserved.
enum class opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

// Which end of the connection an encoder or decoder works for. Clients mask what they send and
// receive unmasked frames; servers the reverse (§5.1).
enum class role : std::uint8_t { client = 0, server = 1 };

inline constexpr std::size_t max_header_size = 14;      // 2 + 8 (64-bit length) + 4 (mask key)
inline constexpr std::size_t max_control_payload = 125; // §5.5

[[nodiscard]] constexpr bool is_control(opcode op) noexcept
{
    return (static_cast<std::uint8_t>(op) & 0x8U) != 0;
}
[[nodiscard]] constexpr bool is_known_opcode(std::uint8_t v) noexcept
{
    return v <= 0x2 || (v >= 0x8 && v <= 0xA);
}
[[nodiscard]] std::string_view to_string(opcode op) noexcept;

struct frame_header {
    opcode op = opcode::binary;
    bool fin = true;
    bool rsv1 = false; // permessage-deflate "per-message compressed" bit (RFC 7692 §6)
    bool masked = false;
    mask_key key{};
    std::uint64_t payload_length = 0;
};

// Size of the encoded header: 2, 4 or 10 bytes, plus 4 when masked.
[[nodiscard]] constexpr std::size_t header_size(std::uint64_t payload_length, bool masked) noexcept
{
    const std::size_t base = payload_length < 126 ? 2 : payload_length <= 0xFFFF ? 4 : 10;
    return base + (masked ? 4 : 0);
}

// Writes the header in its minimal length encoding into `out` and returns its size. Errors:
// unknown_opcode, fragmented_control_frame, control_frame_too_long, length_top_bit_set,
// buffer_too_small (out shorter than header_size). No allocation.
[[nodiscard]] wsp::expected<std::size_t> encode_header(const frame_header& h,
                                                       std::span<std::uint8_t> out) noexcept;

// Builds a complete frame (header + payload) into `out` and returns its size. Client frames pass a
// caller-chosen `key` (§5.3 wants it unpredictable; no RNG here) and get a masked copy of the
// payload; server frames pass std::nullopt. `out` must not overlap `payload`. Same errors as
// encode_header. No allocation.
[[nodiscard]] wsp::expected<std::size_t> build_frame(std::span<std::uint8_t> out, opcode op,
                                                     std::span<const std::uint8_t> payload,
                                                     std::optional<mask_key> key, bool fin = true) noexcept;

// Text data frame; the caller vouches that `text` is UTF-8 (it is not re-validated).
[[nodiscard]] wsp::expected<std::size_t> build_text(std::span<std::uint8_t> out, std::string_view text,
                                                    std::optional<mask_key> key) noexcept;
[[nodiscard]] wsp::expected<std::size_t> build_binary(std::span<std::uint8_t> out,
                                                      std::span<const std::uint8_t> data,
                                                      std::optional<mask_key> key) noexcept;
// Ping and pong carry at most 125 bytes (control_frame_too_long otherwise).
[[nodiscard]] wsp::expected<std::size_t> build_ping(std::span<std::uint8_t> out,
                                                    std::span<const std::uint8_t> payload,
                                                    std::optional<mask_key> key) noexcept;
[[nodiscard]] wsp::expected<std::size_t> build_pong(std::span<std::uint8_t> out,
                                                    std::span<const std::uint8_t> payload,
                                                    std::optional<mask_key> key) noexcept;

// Close frame. code 1005 (no_status_received) with an empty reason builds an empty payload;
// otherwise the code must be valid on the wire (close_code_invalid), the reason at most 123 bytes
// (control_frame_too_long) and UTF-8 (close_reason_invalid_utf8).
[[nodiscard]] wsp::expected<std::size_t> build_close(std::span<std::uint8_t> out, std::uint16_t code,
                                                     std::string_view reason,
                                                     std::optional<mask_key> key) noexcept;

} // namespace wsp::ws
