// Multishot receive over the provided buffer ring, with flow control on -ENOBUFS and re-arming
// when IORING_CQE_F_MORE clears.
#include "engine/runtime/recv_stream.h"

#include <liburing.h>

#include <cerrno>
#include <exception>

#include "engine/runtime/reactor.h"

namespace wsp::rt {

recv_stream::recv_stream(reactor& r, socket s) noexcept
    : lasting_op(&recv_stream::on_cqe), buffer_waiter{nullptr, &recv_stream::on_buffers, false}, r_(&r),
      sock_(s)
{
}

recv_stream::~recv_stream()
{
    if (armed_) {
        // The kernel still holds our address as user_data; freeing now would dangle.
        std::terminate();
    }
    r_->buffers().cancel_wait(*this);
    drop_queue();
}

void recv_stream::arm() noexcept
{
    io_uring_sqe* sqe = r_->acquire_sqe();
    io_uring_prep_recv_multishot(sqe, sock_.slot, nullptr, 0, 0);
    sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
    sqe->buf_group = r_->buffers().group();
    r_->track_lasting(sqe, this);
    armed_ = true;
    ++arms_;
}

void recv_stream::ensure_armed() noexcept
{
    if (!armed_ && !terminal_ && !stopping_ && !waiting_) {
        arm();
    }
}

void recv_stream::enqueue(std::uint16_t bid) noexcept
{
    detail::buffer_ring& ring = r_->buffers();
    ring.set_next(bid, detail::buffer_ring::no_buffer);
    if (tail_ != detail::buffer_ring::no_buffer) {
        ring.set_next(tail_, bid);
    } else {
        head_ = bid;
    }
    tail_ = bid;
    ++count_;
}

recv_chunk recv_stream::pop() noexcept
{
    recv_chunk c;
    if (count_ != 0) {
        detail::buffer_ring& ring = r_->buffers();
        const std::uint16_t bid = head_;
        head_ = ring.next(bid);
        if (head_ == detail::buffer_ring::no_buffer) {
            tail_ = detail::buffer_ring::no_buffer;
        }
        --count_;
        c.kind_ = recv_chunk::kind::data;
        c.bytes_ = ring.view(bid);
        c.stamp_ns_ = ring.stamp(bid);
        c.ring_ = &ring;
        c.bid_ = bid;
        return c;
    }
    c.stamp_ns_ = terminal_stamp_;
    if (terminal_res_ == 0) {
        c.kind_ = recv_chunk::kind::eof;
    } else {
        c.kind_ = recv_chunk::kind::error;
        c.error_ = error_from_result(terminal_res_);
    }
    return c;
}

void recv_stream::drop_queue() noexcept
{
    while (count_ != 0) {
        recv_chunk c = pop();
    }
}

void recv_stream::on_cqe(op_base* self, const io_result& r) noexcept
{
    auto* s = static_cast<recv_stream*>(self);
    detail::buffer_ring& ring = s->r_->buffers();
    // IORING_CQE_F_MORE set: the multishot request stays armed and will post again. Cleared: this
    // is its last CQE (EOF, error, -ENOBUFS, or the kernel ended it, e.g. on CQ overflow) and
    // it must be re-armed to receive more; a cleared F_MORE with data is not an error.
    if ((r.flags & IORING_CQE_F_MORE) == 0) {
        s->armed_ = false;
    }
    if ((r.flags & IORING_CQE_F_BUFFER) != 0) {
        const auto bid = static_cast<std::uint16_t>(r.flags >> IORING_CQE_BUFFER_SHIFT);
        ring.taken(bid, r.res > 0 ? static_cast<std::uint32_t>(r.res) : 0U, r.stamp_ns);
        if (r.res > 0 && !s->stopping_) {
            s->enqueue(bid);
        } else {
            ring.give_back(bid);
        }
    }
    if (r.res == -ENOBUFS) {
        // The ring ran dry: flow control, not an error. Park until a consumer returns a buffer
        // (buffer_ring::give_back) and re-arm then; bytes stay in the socket meanwhile.
        if (!s->stopping_) {
            ring.wait_for_buffers(*s);
        }
    } else if (r.res <= 0 && !s->terminal_) {
        s->terminal_ = true;
        s->terminal_res_ = r.res;
        s->terminal_stamp_ = r.stamp_ns;
    }
    std::coroutine_handle<> stopper{};
    if (s->stopping_ && !s->armed_) {
        ring.cancel_wait(*s);
        s->drop_queue();
        if (!s->terminal_) {
            s->terminal_ = true;
            s->terminal_res_ = -ECANCELED;
            s->terminal_stamp_ = r.stamp_ns;
        }
        stopper = std::exchange(s->stopper_, {});
    }
    std::coroutine_handle<> consumer{};
    if (s->waiter_ && s->has_event()) {
        consumer = std::exchange(s->waiter_, {});
    }
    if (consumer) {
        consumer.resume();
    }
    if (stopper) {
        stopper.resume();
    }
}

void recv_stream::on_buffers(buffer_waiter* self) noexcept
{
    auto* s = static_cast<recv_stream*>(self);
    if (!s->armed_ && !s->terminal_ && !s->stopping_) {
        s->arm();
    }
}

recv_stream::next_awaiter::~next_awaiter()
{
    if (queued()) {
        s_->r_->timers().remove(*this);
    }
}

bool recv_stream::next_awaiter::await_ready() noexcept
{
    s_->ensure_armed();
    return s_->has_event() || when_ns <= mono_now();
}

void recv_stream::next_awaiter::await_suspend(std::coroutine_handle<> h)
{
    s_->waiter_ = h;
    if (when_ns != deadline::never().at_ns) {
        fire_ = &next_awaiter::on_fire;
        s_->r_->timers().insert(*this);
    }
}

void recv_stream::next_awaiter::on_fire(timer_node* self, bool cancelled) noexcept
{
    auto* a = static_cast<next_awaiter*>(self);
    a->expired_ = cancelled ? 2 : 1;
    if (auto h = std::exchange(a->s_->waiter_, {})) {
        h.resume();
    }
}

recv_chunk recv_stream::next_awaiter::await_resume() noexcept
{
    if (queued()) {
        s_->r_->timers().remove(*this);
    }
    if (s_->has_event()) {
        return s_->pop();
    }
    recv_chunk c;
    c.kind_ = recv_chunk::kind::error;
    c.error_ = expired_ == 2 ? wsp::error(errc::cancelled) : wsp::error(errc::timeout);
    c.stamp_ns_ = mono_now();
    return c;
}

bool recv_stream::stop_awaiter::await_ready() noexcept
{
    if (s_->armed_) {
        return false;
    }
    s_->r_->buffers().cancel_wait(*s_);
    s_->drop_queue();
    if (!s_->terminal_) {
        s_->terminal_ = true;
        s_->terminal_res_ = -ECANCELED;
        s_->terminal_stamp_ = mono_now();
    }
    s_->stopping_ = true;
    if (auto h = std::exchange(s_->waiter_, {})) {
        h.resume();
    }
    return true;
}

void recv_stream::stop_awaiter::await_suspend(std::coroutine_handle<> h) noexcept
{
    s_->stopping_ = true;
    s_->stopper_ = h;
    // Cancel by user_data (a no-op if reactor::cancel_all already asked). The stream's final CQE
    // (F_MORE clear) completes the stop.
    s_->r_->cancel(*s_);
}

} // namespace wsp::rt
