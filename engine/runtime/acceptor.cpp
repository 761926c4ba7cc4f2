// Multishot accept into direct descriptors, re-armed when IORING_CQE_F_MORE clears.
#include "engine/runtime/acceptor.h"

#include <liburing.h>

#include <cerrno>
#include <exception>
#include <utility>

#include "engine/runtime/reactor.h"

namespace wsp::rt {

acceptor::acceptor(reactor& r, const listener& l) noexcept
    : lasting_op(&acceptor::on_cqe), r_(&r), fd_(l.fd())
{
}

void acceptor::push(const io_result& r)
{
    if (count_ == queue_.size()) {
        std::vector<io_result> bigger(queue_.empty() ? 64 : queue_.size() * 2);
        for (std::size_t i = 0; i < count_; ++i) {
            bigger[i] = queue_[(head_ + i) % queue_.size()];
        }
        queue_.swap(bigger);
        head_ = 0;
    }
    queue_[(head_ + count_) % queue_.size()] = r;
    ++count_;
}

acceptor::~acceptor()
{
    if (armed_) {
        std::terminate();
    }
}

void acceptor::arm() noexcept
{
    io_uring_sqe* sqe = r_->acquire_sqe();
    io_uring_prep_multishot_accept_direct(sqe, fd_, nullptr, nullptr, 0);
    r_->track_lasting(sqe, this);
    armed_ = true;
}

bool acceptor::next_awaiter::await_ready() noexcept
{
    if (!a_->armed_ && !a_->stopping_ && a_->count_ == 0) {
        a_->arm();
    }
    return a_->count_ != 0 || a_->stopping_;
}

io_result acceptor::pop() noexcept
{
    if (count_ == 0) {
        return io_result{-ECANCELED, 0, mono_now()};
    }
    const io_result r = queue_[head_];
    head_ = (head_ + 1) % queue_.size();
    --count_;
    return r;
}

void acceptor::on_cqe(op_base* self, const io_result& r) noexcept
{
    auto* a = static_cast<acceptor*>(self);
    // F_MORE clear: the multishot accept ended (error, cancel, or the kernel stopped it). An
    // allocation failure (-ENFILE, table full) ends it too; the consumer sees the error and its
    // next call re-arms.
    if ((r.flags & IORING_CQE_F_MORE) == 0) {
        a->armed_ = false;
    }
    const bool keep = !(a->stopping_ && r.res == -ECANCELED);
    if (r.res >= 0) {
        ++a->accepted_;
    }
    if (keep) {
        a->push(r);
    }
    if (!a->armed_ && !a->stopping_ && r.res >= 0) {
        a->arm();
    }
    std::coroutine_handle<> stopper{};
    if (a->stopping_ && !a->armed_) {
        stopper = std::exchange(a->stopper_, {});
    }
    std::coroutine_handle<> consumer{};
    if (a->waiter_ && (a->count_ != 0 || stopper)) {
        consumer = std::exchange(a->waiter_, {});
    }
    if (consumer) {
        consumer.resume();
    }
    if (stopper) {
        stopper.resume();
    }
}

bool acceptor::stop_awaiter::await_ready() noexcept
{
    a_->stopping_ = true;
    if (a_->armed_) {
        return false;
    }
    if (auto h = std::exchange(a_->waiter_, {})) {
        h.resume();
    }
    return true;
}

void acceptor::stop_awaiter::await_suspend(std::coroutine_handle<> h) noexcept
{
    a_->stopping_ = true;
    a_->stopper_ = h;
    a_->r_->cancel(*a_);
}

} // namespace wsp::rt
