// The ws module's error codes: one value per RFC 6455 §5 / §7 / §8.1 violation a peer can commit,
// plus the caller-side limits of the encoders and the message assembler.
#pragma once

#include <cstdint>

#include "proto/error.h"

namespace wsp::ws {

// Append-only; the names returned by error::name() are part of the JSON and metrics contract.
enum class errc : std::uint16_t {
    ok = 0,
    reserved_bits_set = 1,                     // RSV1-3 set without a negotiated extension (§5.2)
    unknown_opcode = 2,                        // opcode 0x3-0x7 or 0xB-0xF (§5.2)
    fragmented_control_frame = 3,              // control frame with FIN clear (§5.5)
    control_frame_too_long = 4,                // control payload above 125 bytes (§5.5)
    non_minimal_length = 5,                    // 16/64-bit length form used for a shorter length (§5.2)
    length_top_bit_set = 6,                    // 64-bit length with the most significant bit set (§5.2)
    masked_server_frame = 7,                   // client received a masked frame (§5.1)
    unmasked_client_frame = 8,                 // server received an unmasked frame (§5.1)
    continuation_without_start = 9,            // continuation frame outside a message (§5.4)
    data_frame_inside_fragmented_message = 10, // text/binary frame before the previous message ended (§5.4)
    message_too_large = 11,                    // message above the configured or buffer limit
    invalid_utf8 = 12,                         // text message payload is not UTF-8 (§5.6, §8.1)
    close_payload_length_one = 13,             // close payload of exactly one byte (§5.5.1)
    close_code_invalid = 14,                   // close code not allowed on the wire (§7.4)
    close_reason_invalid_utf8 = 15,            // close reason is not UTF-8 (§5.5.1)
    frame_after_close = 16,                    // bytes after the peer's close frame (§5.5.1)
    buffer_too_small = 17,                     // caller's output buffer cannot hold the frame
};

// Error domain for wsp::error; found by argument-dependent lookup.
[[nodiscard]] const wsp::error_domain& domain_of(errc) noexcept;

} // namespace wsp::ws
