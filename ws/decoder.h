// Incremental, sans-I/O frame decoder, RFC 6455 §5 (framing), §5.5.1 (close payload) and §8.1
// (UTF-8 of text messages): bytes in, one event out per call, every §5 violation an error code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "proto/error.h"
#include "ws/error.h"
#include "ws/frame.h"
#include "ws/mask.h"
#include "ws/utf8.h"

namespace wsp::ws {

struct decoder_options {
    role local = role::client;       // the decoding endpoint: a client expects unmasked frames
    bool permessage_deflate = false; // RFC 7692 negotiated: RSV1 allowed on a message's first frame
    bool validate_text = true;       // check text messages are UTF-8 (not done for compressed ones)
    std::uint64_t max_message_size = std::uint64_t{16} << 20; // checked from headers, before payload
};

enum class event_kind : std::uint8_t {
    need_more = 0,    // all input consumed; call again with more bytes
    frame_header = 1, // a data frame (text, binary or continuation) starts
    payload = 2,      // a chunk of the current data frame's payload, unmasked
    message_end = 3,  // the data message is complete (and its text, if any, was UTF-8)
    control = 4,      // a complete ping, pong or close frame
};

struct event {
    event_kind kind = event_kind::need_more;
    // frame_header: the frame's opcode as sent (continuation for later fragments).
    // payload, message_end: the message's opcode (text or binary). control: ping, pong or close.
    opcode op = opcode::continuation;
    bool fin = false;             // frame_header: the FIN bit; control: always true
    bool compressed = false;      // the message's first frame had RSV1 (permessage-deflate)
    std::uint16_t close_code = 0; // control close: the status code, 1005 for an empty payload
    // frame_header: this frame's payload length. message_end: the message's total length.
    // control: the payload length.
    std::uint64_t length = 0;
    // payload: a view into the caller's input, unmasked in place. control: a view into the
    // decoder's own buffer. Either is valid until the next call to next() or the input is reused.
    std::span<std::uint8_t> payload;

    // For a close event, the UTF-8 reason after the status code.
    [[nodiscard]] std::string_view close_reason() const noexcept;
};

struct decode_result {
    std::size_t consumed = 0; // bytes of the input used; the caller drops them before calling again
    event ev;
};

// Decodes one direction of a connection. next() returns one event per call; after need_more all
// input has been consumed. A data frame yields frame_header, zero or more payload chunks and, for
// the final fragment, message_end (which may come with consumed == 0 and empty input). Control
// frames may arrive between fragments and are buffered internally (≤ 125 bytes) so one event
// carries the whole payload. The first error is returned by every later call (the decoder stays
// failed); bytes of the input past `consumed` may have been unmasked by then. A text message that
// turns out not to be UTF-8 first delivers its valid prefix as a payload event, then the error,
// so the event sequence does not depend on how the input was split. No allocation, no clock, no
// I/O; one decoder per connection and thread. About 190 bytes of state.
class decoder {
public:
    explicit decoder(decoder_options opts = {}) noexcept : opts_(opts) {}

    [[nodiscard]] wsp::expected<decode_result> next(std::span<std::uint8_t> in) noexcept;

    // Forgets all connection state (including a failure) and keeps the options.
    void reset() noexcept { *this = decoder(opts_); }

    [[nodiscard]] bool failed() const noexcept { return state_ == state::failed; }
    // The error that failed the decoder, or errc::ok.
    [[nodiscard]] errc last_error() const noexcept { return error_; }
    // True once a close frame has been delivered; any further byte is frame_after_close.
    [[nodiscard]] bool close_received() const noexcept { return close_received_; }
    // True between a data message's first frame header and its message_end.
    [[nodiscard]] bool in_message() const noexcept { return in_message_; }
    // True at a frame boundary outside any data message, with no close frame seen and no
    // failure: a fresh decoder with the same options would decode what follows identically.
    [[nodiscard]] bool at_rest() const noexcept
    {
        return state_ == state::header && header_len_ == 0 && !in_message_ && !close_received_;
    }
    [[nodiscard]] const decoder_options& options() const noexcept { return opts_; }

private:
    enum class state : std::uint8_t { header = 0, data_payload = 1, control_payload = 2, failed = 3 };

    [[nodiscard]] wsp::expected<std::size_t> read_header(std::span<const std::uint8_t> in,
                                                         bool& complete) noexcept;
    [[nodiscard]] errc check_header(const std::uint8_t* h, std::size_t have) const noexcept;
    void begin_frame(const std::uint8_t* h) noexcept;
    [[nodiscard]] wsp::expected<decode_result> payload_chunk(std::span<std::uint8_t> in,
                                                             std::size_t used) noexcept;
    [[nodiscard]] wsp::expected<decode_result> end_message(std::size_t used) noexcept;
    [[nodiscard]] wsp::expected<decode_result> end_control(std::size_t used) noexcept;
    [[nodiscard]] bool checks_utf8() const noexcept;
    [[nodiscard]] wsp::unexpected<wsp::error> fail_with(errc e) noexcept;

    decoder_options opts_;
    std::uint64_t remaining_ = 0;    // payload bytes of the current frame not yet delivered
    std::uint64_t message_size_ = 0; // sum of the current message's frame lengths so far
    mask_key key_{};                 // rotated as payload is consumed, so it always starts at phase 0
    state state_ = state::header;
    errc error_ = errc::ok;
    opcode frame_op_ = opcode::continuation;
    opcode message_op_ = opcode::binary;
    bool fin_ = false;
    bool masked_ = false;
    bool in_message_ = false;
    bool compressed_ = false;
    bool close_received_ = false;
    std::uint8_t header_len_ = 0;
    std::uint8_t control_len_ = 0;
    utf8_validator utf8_;
    std::uint8_t header_[max_header_size]{};
    std::uint8_t control_[max_control_payload]{};
};

} // namespace wsp::ws
