// Message assembly over decoder events (RFC 6455 §5.4: a message is the concatenation of its
// fragments' payloads), bounded by the caller's buffer.
#include "ws/assembler.h"

#include <cstring>

namespace wsp::ws {

wsp::expected<bool> message_assembler::feed(const event& ev) noexcept
{
    if (failed_) {
        return wsp::fail(errc::message_too_large);
    }
    switch (ev.kind) {
    case event_kind::frame_header:
        if (ev.op != opcode::continuation || complete_) {
            size_ = 0;
            reserved_ = 0;
            complete_ = false;
            op_ = ev.op == opcode::continuation ? op_ : ev.op;
            compressed_ = ev.compressed;
        }
        // The buffer bounds the message: refuse a frame that cannot fit before copying any of it.
        if (ev.length > storage_.size() - reserved_) {
            failed_ = true;
            return wsp::fail(errc::message_too_large);
        }
        reserved_ += static_cast<std::size_t>(ev.length);
        return false;
    case event_kind::payload:
        // The decoder delivers at most the announced length, so this fits within reserved_.
        if (ev.payload.size() > reserved_ - size_) {
            failed_ = true;
            return wsp::fail(errc::message_too_large);
        }
        std::memcpy(storage_.data() + size_, ev.payload.data(), ev.payload.size());
        size_ += ev.payload.size();
        return false;
    case event_kind::message_end: complete_ = true; return true;
    case event_kind::need_more:
    case event_kind::control: return false;
    }
    return false;
}

} // namespace wsp::ws
