// Multishot accept (IORING_OP_ACCEPT with IORING_ACCEPT_MULTISHOT) into kernel-allocated direct
// descriptors, for the lab server.
#pragma once

#include <coroutine>
#include <cstdint>
#include <vector>

#include "engine/runtime/address.h"
#include "engine/runtime/detail/op_base.h"
#include "engine/runtime/socket.h"

namespace wsp::rt {

class reactor;

// Not movable (its address is the SQE's user_data). Accepted connections that arrive while no
// one waits are queued in order; the queue grows (allocating only when it outgrows its peak) and
// is bounded by the ring's descriptor table, since every entry holds a slot. Must be stopped (`co_await a.stop()`) before destruction when armed. Reactor thread
// only; the listener must outlive the acceptor.
class acceptor : private detail::lasting_op {
public:
    acceptor(reactor& r, const listener& l) noexcept;
    acceptor(const acceptor&) = delete;
    acceptor& operator=(const acceptor&) = delete;
    ~acceptor();

    struct next_awaiter {
        acceptor* a_;
        [[nodiscard]] bool await_ready() noexcept;
        void await_suspend(std::coroutine_handle<> h) noexcept { a_->waiter_ = h; }
        [[nodiscard]] io_result await_resume() noexcept { return a_->pop(); }
    };
    // Next accepted connection: res = direct-descriptor slot, or -errno (-ENFILE: the table is
    // full, see direct_alloc_error; -ECANCELED after stop()). Re-arms the multishot accept when
    // needed; an error ends the current arming and the next call re-arms.
    [[nodiscard]] next_awaiter next() noexcept { return next_awaiter{this}; }

    struct stop_awaiter {
        acceptor* a_;
        [[nodiscard]] bool await_ready() noexcept;
        void await_suspend(std::coroutine_handle<> h) noexcept;
        void await_resume() const noexcept {}
    };
    // Cancels the multishot accept; completes on its final CQE. Queued slots are still handed
    // out by next(), after which next() yields -ECANCELED and never re-arms.
    [[nodiscard]] stop_awaiter stop() noexcept { return stop_awaiter{this}; }

    [[nodiscard]] std::uint64_t accepted() const noexcept { return accepted_; }
    [[nodiscard]] bool armed() const noexcept { return armed_; }

private:
    static void on_cqe(op_base* self, const io_result& r) noexcept;
    void arm() noexcept;
    io_result pop() noexcept;

    reactor* r_;
    int fd_;
    std::coroutine_handle<> waiter_{};
    std::coroutine_handle<> stopper_{};
    void push(const io_result& r);

    std::vector<io_result> queue_;
    std::size_t head_ = 0;
    std::size_t count_ = 0;
    std::uint64_t accepted_ = 0;
    bool armed_ = false;
    bool stopping_ = false;
};

} // namespace wsp::rt
