// Awaitable io_uring operations. Each awaiter lives in the awaiting coroutine's frame and is the
// SQE's user_data: no heap allocation per operation. The SQE is prepared in await_suspend.
#pragma once

#include <cerrno>
#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <span>

#include "engine/runtime/address.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/detail/op_base.h"
#include "engine/runtime/detail/timer_heap.h"
#include "engine/runtime/reactor.h"

struct io_uring_sqe;

namespace wsp::rt {
namespace detail {

// One SQE, one CQE; resumes the awaiting coroutine from the reap loop with the CQE as io_result.
// The awaiter must not move after await_suspend (it is in the coroutine frame while suspended).
class single_op : public op_base {
public:
    explicit single_op(reactor& r) noexcept : op_base{&single_op::on_complete}, reactor_(&r) {}
    [[nodiscard]] bool await_ready() const noexcept { return false; }
    [[nodiscard]] io_result await_resume() const noexcept { return result_; }
    [[nodiscard]] reactor& owner() const noexcept { return *reactor_; }

protected:
    static void on_complete(op_base* self, const io_result& r) noexcept;

    reactor* reactor_;
    std::coroutine_handle<> waiter_{};
    io_result result_{};
};

template <class Derived>
class basic_op : public single_op {
public:
    using single_op::single_op;
    void await_suspend(std::coroutine_handle<> h) noexcept
    {
        waiter_ = h;
        io_uring_sqe* sqe = reactor_->acquire_sqe();
        static_cast<Derived*>(this)->prepare(sqe);
        reactor_->track(sqe, this);
    }
};

// __kernel_timespec layout without including kernel headers here.
struct kernel_timespec {
    std::int64_t tv_sec = 0;
    long long tv_nsec = 0;
};

} // namespace detail

// IORING_OP_NOP: a round trip through the ring. Result: res 0.
class nop_op : public detail::basic_op<nop_op> {
public:
    explicit nop_op(reactor& r) noexcept : basic_op(r) {}
    void prepare(io_uring_sqe* sqe) noexcept;
};

// IORING_OP_SOCKET into a kernel-allocated direct descriptor. Result: res = slot, or -ENFILE when
// the table is full (see direct_alloc_error).
class socket_op : public detail::basic_op<socket_op> {
public:
    socket_op(reactor& r, int family, int type = SOCK_STREAM, int protocol = 0) noexcept
        : basic_op(r), family_(family), type_(type), protocol_(protocol)
    {
    }
    void prepare(io_uring_sqe* sqe) noexcept;

private:
    int family_;
    int type_;
    int protocol_;
};

// IORING_OP_CONNECT on a direct descriptor. The address is copied into the awaiter.
class connect_op : public detail::basic_op<connect_op> {
public:
    connect_op(reactor& r, socket s, const address& to) noexcept : basic_op(r), sock_(s), to_(to) {}
    void prepare(io_uring_sqe* sqe) noexcept;

private:
    socket sock_;
    address to_;
};

// IORING_OP_BIND (Linux 6.11+) on a direct descriptor; the SQE is filled by hand because
// liburing 2.3 has no helper. Check reactor::report().has_bind first.
class bind_op : public detail::basic_op<bind_op> {
public:
    bind_op(reactor& r, socket s, const address& local) noexcept : basic_op(r), sock_(s), local_(local) {}
    void prepare(io_uring_sqe* sqe) noexcept;

private:
    socket sock_;
    address local_;
};

// setsockopt(2) on a direct descriptor through IORING_OP_URING_CMD / SOCKET_URING_OP_SETSOCKOPT
// (Linux 6.7+). The value (<= 16 bytes) is copied into the awaiter. Result: res 0 or -errno.
class setsockopt_op : public detail::basic_op<setsockopt_op> {
public:
    setsockopt_op(reactor& r, socket s, int level, int name, const void* value, unsigned len) noexcept;
    void prepare(io_uring_sqe* sqe) noexcept;

private:
    socket sock_;
    int level_;
    int name_;
    unsigned len_;
    alignas(8) unsigned char value_[16] = {};
};

// IORING_OP_SEND (MSG_NOSIGNAL). Result: bytes sent (may be short) or -errno. `data` must stay
// valid until the operation completes.
class send_op : public detail::basic_op<send_op> {
public:
    send_op(reactor& r, socket s, std::span<const std::byte> data) noexcept : basic_op(r), sock_(s), data_(data) {}
    void prepare(io_uring_sqe* sqe) noexcept;

private:
    socket sock_;
    std::span<const std::byte> data_;
};

// IORING_OP_RECV, single shot, into a caller buffer. Result: bytes (0 = EOF) or -errno.
class recv_op : public detail::basic_op<recv_op> {
public:
    recv_op(reactor& r, socket s, std::span<std::byte> buf) noexcept : basic_op(r), sock_(s), buf_(buf) {}
    void prepare(io_uring_sqe* sqe) noexcept;

private:
    socket sock_;
    std::span<std::byte> buf_;
};

// IORING_OP_CLOSE of a direct descriptor (frees the slot). Result: 0 or -errno.
class close_op : public detail::basic_op<close_op> {
public:
    close_op(reactor& r, socket s) noexcept : basic_op(r), sock_(s) {}
    void prepare(io_uring_sqe* sqe) noexcept;

private:
    socket sock_;
};

// IORING_OP_SHUTDOWN (SHUT_RD, SHUT_WR, SHUT_RDWR).
class shutdown_op : public detail::basic_op<shutdown_op> {
public:
    shutdown_op(reactor& r, socket s, int how) noexcept : basic_op(r), sock_(s), how_(how) {}
    void prepare(io_uring_sqe* sqe) noexcept;

private:
    socket sock_;
    int how_;
};

// IORING_OP_TIMEOUT, relative: a kernel timer (for tests and self_check; engine code uses
// sleep_op, which shares the reactor's timer heap). Result: -ETIME on expiry (error() is
// errc::timeout), -ECANCELED if cancelled.
class timeout_op : public detail::basic_op<timeout_op> {
public:
    timeout_op(reactor& r, std::chrono::nanoseconds d) noexcept;
    void prepare(io_uring_sqe* sqe) noexcept;

private:
    detail::kernel_timespec ts_;
};

// One-shot IORING_OP_POLL_ADD on a plain (non-direct) fd, e.g. a c-ares socket. Result: the
// returned event mask (POLLIN, ...) or -errno. Cancel with cancel_op(r, &awaiter).
class poll_op : public detail::basic_op<poll_op> {
public:
    poll_op(reactor& r, int fd, unsigned events) noexcept : basic_op(r), fd_(fd), events_(events) {}
    void prepare(io_uring_sqe* sqe) noexcept;

private:
    int fd_;
    unsigned events_;
};

// IORING_OP_ASYNC_CANCEL of one operation (by its awaiter address) or of every operation on a
// socket. Completes when the cancel request has been processed: res 0 (found; the target then
// posts its own final CQE, -ECANCELED, which its awaiter receives), -ENOENT (not found, e.g.
// already completed), -EALREADY (running, will complete soon). For a socket, res is the count.
class cancel_op : public detail::basic_op<cancel_op> {
public:
    cancel_op(reactor& r, const void* target) noexcept : basic_op(r), target_(target) {}
    cancel_op(reactor& r, socket s) noexcept : basic_op(r), sock_(s) {}
    void prepare(io_uring_sqe* sqe) noexcept;

private:
    const void* target_ = nullptr;
    socket sock_{};
};

// Suspends until `d` on the reactor's timer heap (no SQE: all timers share the io_uring_enter
// wait timeout). Result: res 0 when due, -ECANCELED if reactor::cancel_all ran; stamp = fire time.
class sleep_op : private detail::timer_node {
public:
    sleep_op(reactor& r, deadline d) noexcept : r_(&r) { when_ns = d.at_ns; }
    sleep_op(reactor& r, std::chrono::nanoseconds d) noexcept : sleep_op(r, deadline::after(d)) {}
    sleep_op(const sleep_op&) = delete;
    sleep_op& operator=(const sleep_op&) = delete;
    ~sleep_op() { r_->timers().remove(*this); }
    [[nodiscard]] bool await_ready() const noexcept { return when_ns <= mono_now(); }
    void await_suspend(std::coroutine_handle<> h);
    [[nodiscard]] io_result await_resume() const noexcept
    {
        return io_result{cancelled_ ? -ECANCELED : 0, 0, stamp_ != 0 ? stamp_ : mono_now()};
    }

private:
    static void on_fire(timer_node* self, bool cancelled) noexcept;
    reactor* r_;
    std::coroutine_handle<> waiter_{};
    std::int64_t stamp_ = 0;
    bool cancelled_ = false;
};

namespace detail {

// Shared state of with_deadline: the operation and its IORING_OP_LINK_TIMEOUT each post one
// CQE, in either order (the kernel gives no ordering guarantee between a link timeout firing and
// the cancelled request's CQE), so the awaiter resumes only after both arrived; nothing the
// kernel references is released earlier.
class deadline_state {
public:
    explicit deadline_state(deadline d) noexcept : deadline_(d) {}
    deadline_state(const deadline_state& o) noexcept : deadline_(o.deadline_) {}
    deadline_state& operator=(const deadline_state&) = delete;

protected:
    // `sqes[0]` is prepared by the operation; sqes[1] (if the deadline is set) becomes the link
    // timeout. Tracks both.
    void arm(reactor& r, io_uring_sqe** sqes, std::coroutine_handle<> h) noexcept;
    [[nodiscard]] unsigned sqe_count() const noexcept { return deadline_.is_set() ? 2U : 1U; }
    [[nodiscard]] io_result result() const noexcept;

private:
    struct part : op_base {
        deadline_state* owner = nullptr;
    };
    static void on_op(op_base* self, const io_result& r) noexcept;
    static void on_timeout(op_base* self, const io_result& r) noexcept;
    void one_done() noexcept;

    deadline deadline_;
    part op_part_{};
    part timeout_part_{};
    kernel_timespec ts_{};
    std::coroutine_handle<> waiter_{};
    io_result op_result_{};
    std::int32_t timeout_res_ = 0;
    std::uint8_t remaining_ = 0;
};

} // namespace detail

// Awaits `op` with a per-operation IORING_OP_LINK_TIMEOUT (absolute, CLOCK_MONOTONIC). If the
// deadline fires first the result is res = -ETIME, i.e. error() == errc::timeout, distinct from
// the operation's own errors (errc::connection_timed_out is the kernel's TCP timeout). Works
// with any single-SQE operation above (not sleep_op).
template <class Op>
class deadline_op : public detail::deadline_state {
public:
    deadline_op(Op op, deadline d) noexcept : deadline_state(d), op_(op) {}
    [[nodiscard]] bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept
    {
        io_uring_sqe* sqes[2] = {nullptr, nullptr};
        reactor& r = op_.owner();
        r.acquire_sqes(sqes, sqe_count());
        op_.prepare(sqes[0]);
        arm(r, sqes, h);
    }
    [[nodiscard]] io_result await_resume() const noexcept { return result(); }

private:
    Op op_;
};

template <class Op>
[[nodiscard]] deadline_op<Op> with_deadline(Op op, deadline d) noexcept
{
    return deadline_op<Op>(op, d);
}

// Maps the result of a direct-descriptor allocation (socket_op, accept): -ENFILE means this
// ring's table is full, reported as errc::fd_table_full (class limit) so the caller can place
// work on another reactor or wait.
[[nodiscard]] wsp::error direct_alloc_error(std::int32_t res) noexcept;

} // namespace wsp::rt
