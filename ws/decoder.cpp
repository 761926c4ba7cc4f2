// The frame decoder's state machine, RFC 6455 §5.2-§5.5 and §8.1. Header checks run in a fixed
// order as bytes become available, so the first error does not depend on how input was split.
#include "ws/decoder.h"

#include <algorithm>
#include <cstring>

#include "ws/close.h"

namespace wsp::ws {
namespace {

constexpr std::uint8_t fin_bit = 0x80;
constexpr std::uint8_t rsv1_bit = 0x40;
constexpr std::uint8_t rsv23_bits = 0x30;
constexpr std::uint8_t opcode_bits = 0x0F;
constexpr std::uint8_t mask_bit = 0x80;
constexpr std::uint8_t length_bits = 0x7F;

// Bytes of the extended length field announced by the second header byte.
constexpr std::size_t extended_length_size(std::uint8_t b1) noexcept
{
    const std::uint8_t len7 = b1 & length_bits;
    return len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
}

// Full header size announced by the second header byte.
constexpr std::size_t wire_header_size(std::uint8_t b1) noexcept
{
    return 2 + extended_length_size(b1) + ((b1 & mask_bit) != 0 ? 4 : 0);
}

std::uint64_t read_length(const std::uint8_t* h) noexcept
{
    const std::uint8_t len7 = h[1] & length_bits;
    if (len7 < 126) {
        return len7;
    }
    const std::size_t n = extended_length_size(h[1]);
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        v = (v << 8) | h[2 + i];
    }
    return v;
}

} // namespace

std::string_view event::close_reason() const noexcept
{
    if (op != opcode::close || payload.size() < 2) {
        return {};
    }
    return {reinterpret_cast<const char*>(payload.data()) + 2, payload.size() - 2};
}

wsp::unexpected<wsp::error> decoder::fail_with(errc e) noexcept
{
    state_ = state::failed;
    error_ = e;
    return wsp::fail(e);
}

bool decoder::checks_utf8() const noexcept
{
    return opts_.validate_text && message_op_ == opcode::text && !compressed_;
}

errc decoder::check_header(const std::uint8_t* h, std::size_t have) const noexcept
{
    if (have == 0) {
        return errc::ok;
    }
    const std::uint8_t b0 = h[0];
    const std::uint8_t op = b0 & opcode_bits;
    const bool fin = (b0 & fin_bit) != 0;
    // RFC 6455 §5.2: a reserved opcode must fail the connection.
    if (!is_known_opcode(op)) {
        return errc::unknown_opcode;
    }
    const auto code = static_cast<opcode>(op);
    // RFC 6455 §5.2: RSV2 and RSV3 must be 0 (no extension here defines them).
    if ((b0 & rsv23_bits) != 0) {
        return errc::reserved_bits_set;
    }
    // RFC 6455 §5.2 with RFC 7692 §6.1: RSV1 only with permessage-deflate, and then only on the
    // first frame of a data message (never on control frames or continuations).
    if ((b0 & rsv1_bit) != 0 &&
        (!opts_.permessage_deflate || (code != opcode::text && code != opcode::binary))) {
        return errc::reserved_bits_set;
    }
    // RFC 6455 §5.5: control frames must not be fragmented.
    if (is_control(code) && !fin) {
        return errc::fragmented_control_frame;
    }
    // RFC 6455 §5.4: a continuation frame continues a message that has started.
    if (code == opcode::continuation && !in_message_) {
        return errc::continuation_without_start;
    }
    // RFC 6455 §5.4: fragments of one message are not interleaved with another data message.
    if ((code == opcode::text || code == opcode::binary) && in_message_) {
        return errc::data_frame_inside_fragmented_message;
    }
    if (have < 2) {
        return errc::ok;
    }
    const std::uint8_t b1 = h[1];
    const bool masked = (b1 & mask_bit) != 0;
    // RFC 6455 §5.1: a server never masks; a client always masks.
    if (opts_.local == role::client && masked) {
        return errc::masked_server_frame;
    }
    if (opts_.local == role::server && !masked) {
        return errc::unmasked_client_frame;
    }
    // RFC 6455 §5.5: control frames carry at most 125 bytes, so they use the 7-bit length form.
    if (is_control(code) && (b1 & length_bits) > max_control_payload) {
        return errc::control_frame_too_long;
    }
    if (have < 2 + extended_length_size(b1)) {
        return errc::ok;
    }
    const std::uint64_t len = read_length(h);
    const std::uint8_t len7 = b1 & length_bits;
    // RFC 6455 §5.2: the most significant bit of the 64-bit length must be 0.
    if (len7 == 127 && (len >> 63) != 0) {
        return errc::length_top_bit_set;
    }
    // RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the length".
    if ((len7 == 126 && len < 126) || (len7 == 127 && len <= 0xFFFF)) {
        return errc::non_minimal_length;
    }
    // Message size limit, checked before any payload byte is accepted.
    if (!is_control(code)) {
        const std::uint64_t so_far = code == opcode::continuation ? message_size_ : 0;
        if (len > opts_.max_message_size - std::min(so_far, opts_.max_message_size)) {
            return errc::message_too_large;
        }
    }
    return errc::ok;
}

wsp::expected<std::size_t> decoder::read_header(std::span<const std::uint8_t> in, bool& complete) noexcept
{
    const std::uint8_t* h = nullptr;
    std::size_t have = 0;
    std::size_t taken = 0;
    if (header_len_ == 0 && in.size() >= 2 && in.size() >= wire_header_size(in[1])) {
        // Fast path: the whole header is in the input; parse it there without copying.
        h = in.data();
        have = wire_header_size(in[1]);
        taken = have;
    } else {
        for (;;) {
            const std::size_t need = header_len_ < 2 ? 2 : wire_header_size(header_[1]);
            if (header_len_ >= need || taken == in.size()) {
                break;
            }
            const std::size_t n = std::min(need - header_len_, in.size() - taken);
            std::memcpy(header_ + header_len_, in.data() + taken, n);
            header_len_ = static_cast<std::uint8_t>(header_len_ + n);
            taken += n;
        }
        h = header_;
        have = header_len_;
    }
    if (const errc e = check_header(h, have); e != errc::ok) {
        return wsp::fail(e);
    }
    complete = have >= 2 && have == wire_header_size(h[1]);
    if (complete) {
        begin_frame(h);
        header_len_ = 0;
    }
    return taken;
}

void decoder::begin_frame(const std::uint8_t* h) noexcept
{
    frame_op_ = static_cast<opcode>(h[0] & opcode_bits);
    fin_ = (h[0] & fin_bit) != 0;
    masked_ = (h[1] & mask_bit) != 0;
    remaining_ = read_length(h);
    if (masked_) {
        std::memcpy(key_.data(), h + 2 + extended_length_size(h[1]), 4);
    }
    if (frame_op_ == opcode::text || frame_op_ == opcode::binary) {
        in_message_ = true;
        message_op_ = frame_op_;
        compressed_ = (h[0] & rsv1_bit) != 0;
        message_size_ = remaining_;
        utf8_.reset();
    } else if (frame_op_ == opcode::continuation) {
        message_size_ += remaining_;
    }
}

wsp::expected<decode_result> decoder::payload_chunk(std::span<std::uint8_t> in, std::size_t used) noexcept
{
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(in.size(), remaining_));
    auto chunk = in.first(n);
    if (masked_) {
        apply_mask(chunk, key_);
        key_ = rotate_key(key_, n);
    }
    std::size_t valid = n;
    if (checks_utf8()) {
        // RFC 6455 §8.1: text payload must be UTF-8. A whole unfragmented message at hand goes
        // to simdjson; otherwise (or to locate an error) the incremental validator.
        const bool whole_message = frame_op_ == opcode::text && fin_ && n == message_size_;
        if (!whole_message || !validate_utf8(chunk)) {
            valid = utf8_.feed(chunk);
        }
    }
    event ev;
    ev.kind = event_kind::payload;
    ev.op = message_op_;
    ev.fin = fin_;
    ev.compressed = compressed_;
    if (valid < n) {
        if (valid == 0) {
            return fail_with(errc::invalid_utf8);
        }
        // Deliver the valid prefix now and the error on the next call.
        ev.payload = chunk.first(valid);
        ev.length = valid;
        state_ = state::failed;
        error_ = errc::invalid_utf8;
        return decode_result{used + valid, ev};
    }
    remaining_ -= n;
    ev.payload = chunk;
    ev.length = n;
    return decode_result{used + n, ev};
}

wsp::expected<decode_result> decoder::end_message(std::size_t used) noexcept
{
    // RFC 6455 §8.1: a text message must not end inside a UTF-8 sequence.
    if (checks_utf8() && !utf8_.at_boundary()) {
        return fail_with(errc::invalid_utf8);
    }
    in_message_ = false;
    event ev;
    ev.kind = event_kind::message_end;
    ev.op = message_op_;
    ev.fin = true;
    ev.compressed = compressed_;
    ev.length = message_size_;
    return decode_result{used, ev};
}

wsp::expected<decode_result> decoder::end_control(std::size_t used) noexcept
{
    auto body = std::span<std::uint8_t>(control_, control_len_);
    if (masked_) {
        apply_mask(body, key_);
    }
    event ev;
    ev.kind = event_kind::control;
    ev.op = frame_op_;
    ev.fin = true;
    ev.length = control_len_;
    ev.payload = body;
    if (frame_op_ == opcode::close) {
        // RFC 6455 §5.5.1 and §7.4: code, if any, must be valid on the wire; reason is UTF-8.
        auto info = parse_close_payload(body);
        if (!info) {
            return fail_with(static_cast<errc>(info.error().code()));
        }
        ev.close_code = info->code;
        close_received_ = true;
    }
    return decode_result{used, ev};
}

wsp::expected<decode_result> decoder::next(std::span<std::uint8_t> in) noexcept
{
    std::size_t used = 0;
    for (;;) {
        switch (state_) {
        case state::failed: return wsp::fail(error_);
        case state::header: {
            if (used == in.size()) {
                return decode_result{used, {}};
            }
            // RFC 6455 §5.5.1: the close frame is the last thing an endpoint sends.
            if (close_received_) {
                return fail_with(errc::frame_after_close);
            }
            bool complete = false;
            auto taken = read_header(in.subspan(used), complete);
            if (!taken) {
                return fail_with(static_cast<errc>(taken.error().code()));
            }
            used += *taken;
            if (!complete) {
                return decode_result{used, {}};
            }
            if (is_control(frame_op_)) {
                state_ = state::control_payload;
                control_len_ = 0;
                continue;
            }
            state_ = state::data_payload;
            event ev;
            ev.kind = event_kind::frame_header;
            ev.op = frame_op_;
            ev.fin = fin_;
            ev.compressed = compressed_;
            ev.length = remaining_;
            return decode_result{used, ev};
        }
        case state::data_payload:
            if (remaining_ == 0) {
                state_ = state::header;
                if (fin_) {
                    return end_message(used);
                }
                continue;
            }
            if (used == in.size()) {
                return decode_result{used, {}};
            }
            return payload_chunk(in.subspan(used), used);
        case state::control_payload: {
            const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(in.size() - used, remaining_));
            if (n != 0) {
                std::memcpy(control_ + control_len_, in.data() + used, n);
            }
            control_len_ = static_cast<std::uint8_t>(control_len_ + n);
            remaining_ -= n;
            used += n;
            if (remaining_ != 0) {
                return decode_result{used, {}};
            }
            state_ = state::header;
            return end_control(used);
        }
        }
    }
}

} // namespace wsp::ws
