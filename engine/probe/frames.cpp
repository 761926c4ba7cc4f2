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
        if (!pending_.is_data()) {
            pending_ = co_await rs_->next(until);
            pending_off_ = 0;
            if (pending_.is_eof()) {
                co_return read_outcome{read_outcome::kind::eof, {}, {}, pending_.stamp_ns()};
            }
            if (!pending_.is_data()) {
                co_return read_outcome{read_outcome::kind::error, {}, pending_.error(), pending_.stamp_ns()};
            }
        }
        const auto bytes = pending_.bytes();
        const std::size_t n = std::min(inbox_.size(), bytes.size() - pending_off_);
        std::memcpy(inbox_.data(), bytes.data() + pending_off_, n);
        len_ = n;
        stamp_ns_ = pending_.stamp_ns();
        pending_off_ += n;
        if (pending_off_ == bytes.size()) {
            pending_.release(); // back to the kernel's ring at once
            pending_ = rt::recv_chunk{};
        }
    }
}

rt::task<bool> frame_reader::wait_eof(rt::deadline until)
{
    pending_ = rt::recv_chunk{};
    for (;;) {
        auto chunk = co_await rs_->next(until);
        if (chunk.is_eof()) {
            co_return true;
        }
        if (!chunk.is_data()) {
            co_return false;
        }
    }
}

} // namespace wsp::probe
