// Whole-message assembly on top of the RFC 6455 §5.4 fragmentation the decoder reports: payload of
// one data message gathered into a caller-provided, caller-bounded buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "proto/error.h"
#include "ws/decoder.h"
#include "ws/error.h"

namespace wsp::ws {

// Feed it every event from a decoder; it copies data payload into `storage` and says when a message
// is complete. The limit is checked at each frame header, before any of that frame's payload is
// copied (message_too_large). Control events are ignored: the caller handles them. No allocation;
// `storage` must outlive the assembler; one per connection and thread.
class message_assembler {
public:
    explicit message_assembler(std::span<std::uint8_t> storage) noexcept : storage_(storage) {}

    // True when `ev` completed a message (then message() is valid until the next frame_header).
    // After an error the assembler stays failed, like the decoder.
    [[nodiscard]] wsp::expected<bool> feed(const event& ev) noexcept;

    // The last completed message's bytes (a view into storage) and opcode (text or binary).
    [[nodiscard]] std::span<const std::uint8_t> message() const noexcept { return storage_.first(size_); }
    [[nodiscard]] opcode message_opcode() const noexcept { return op_; }
    [[nodiscard]] bool compressed() const noexcept { return compressed_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return storage_.size(); }

private:
    std::span<std::uint8_t> storage_;
    std::size_t size_ = 0;     // bytes of the current (or last completed) message
    std::size_t reserved_ = 0; // bytes announced by the headers so far
    opcode op_ = opcode::binary;
    bool compressed_ = false;
    bool complete_ = false;
    bool failed_ = false;
};

} // namespace wsp::ws
