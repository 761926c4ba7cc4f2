#include "engine/probe/frames.h"

#include <algorithm>
#include <cstring>

namespace wsp::probe {

bool frame_reader::preload(std::span<const std::uint8_t> bytes, std::int64_t stamp_ns) noexcept
{
    if (bytes.size() > inbox_.size()) {
        return false;
    }
    std::memmove(inbox_.data(), bytes.data(), bytes.size());
    pos_ = 0;
    len_ = bytes.size();
    stamp_ns_ = stamp_ns;
    return true;
}

rt::task<read_outcome> frame_reader::next(rt::deadline until)
{
    for (;;) {
        auto r = dec_.next(inbox_.subspan(pos_, len_ - pos_));
        if (!r) {
            co_return read_outcome{read_outcome::kind::error, {}, r.error(), stamp_ns_};
        }
        pos_ += r->consumed;
        if (r->ev.kind != ws::event_kind::need_more) {
            co_return read_outcome{read_outcome::kind::event, r->ev, {}, stamp_ns_};
        }
        pos_ = 0;
        len_ = 0;
        auto got = co_await pipe_->recv(until);
        if (got.what == pipe_read::kind::eof) {
            co_return read_outcome{read_outcome::kind::eof, {}, {}, got.stamp_ns};
        }
        if (got.what == pipe_read::kind::error) {
            co_return read_outcome{read_outcome::kind::error, {}, got.error, got.stamp_ns};
        }
        // A pipe read is at most one provided buffer (plain) or one TLS record (16 KiB).
        const std::size_t n = std::min(inbox_.size(), got.bytes.size());
        std::memcpy(inbox_.data(), got.bytes.data(), n);
        len_ = n;
        stamp_ns_ = got.stamp_ns;
    }
}

rt::task<bool> frame_reader::wait_eof(rt::deadline until)
{
    for (;;) {
        auto got = co_await pipe_->recv(until);
        if (got.what == pipe_read::kind::eof) {
            co_return true;
        }
        if (got.what == pipe_read::kind::error) {
            co_return false;
        }
    }
}

} // namespace wsp::probe
