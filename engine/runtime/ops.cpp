// SQE preparation for the awaitable operations, and the linked-timeout (deadline) machinery.
#include "engine/runtime/ops.h"

#include <liburing.h>

#include <cerrno>
#include <cstring>

namespace wsp::rt {
namespace {

// Opcode and socket command numbers newer than liburing 2.3's header (uapi io_uring.h).
constexpr std::uint8_t op_bind = 56;
constexpr std::uint32_t socket_uring_op_setsockopt = 3;

static_assert(sizeof(detail::kernel_timespec) == sizeof(__kernel_timespec));

void set_fixed(io_uring_sqe* sqe) noexcept { sqe->flags |= IOSQE_FIXED_FILE; }

} // namespace

void detail::single_op::on_complete(op_base* self, const io_result& r) noexcept
{
    auto* s = static_cast<single_op*>(self);
    s->result_ = r;
    s->waiter_.resume();
}

void nop_op::prepare(io_uring_sqe* sqe) noexcept { io_uring_prep_nop(sqe); }

void socket_op::prepare(io_uring_sqe* sqe) noexcept
{
    // Direct descriptors are not process fds: SOCK_CLOEXEC is meaningless and the kernel rejects it.
    io_uring_prep_socket_direct_alloc(sqe, family_, type_, protocol_, 0);
}

void connect_op::prepare(io_uring_sqe* sqe) noexcept
{
    io_uring_prep_connect(sqe, sock_.slot, to_.data(), to_.size());
    set_fixed(sqe);
}

void bind_op::prepare(io_uring_sqe* sqe) noexcept
{
    // Layout of IORING_OP_BIND: fd, addr = sockaddr pointer, addr2 (off) = length; all other
    // fields zero.
    io_uring_prep_rw(op_bind, sqe, sock_.slot, local_.data(), 0, local_.size());
    set_fixed(sqe);
}

setsockopt_op::setsockopt_op(reactor& r, socket s, int level, int name, const void* value, unsigned len) noexcept
    : basic_op(r), sock_(s), level_(level), name_(name), len_(len <= sizeof(value_) ? len : 0)
{
    std::memcpy(value_, value, len_);
}

void setsockopt_op::prepare(io_uring_sqe* sqe) noexcept
{
    // IORING_OP_URING_CMD with cmd_op SOCKET_URING_OP_SETSOCKOPT: level and optname share the
    // `addr` word (level low, optname high), optlen sits in splice_fd_in and optval in addr3.
    io_uring_prep_rw(IORING_OP_URING_CMD, sqe, sock_.slot, nullptr, 0, 0);
    sqe->cmd_op = socket_uring_op_setsockopt;
    sqe->addr = static_cast<std::uint64_t>(static_cast<std::uint32_t>(level_)) |
                (static_cast<std::uint64_t>(static_cast<std::uint32_t>(name_)) << 32);
    sqe->splice_fd_in = static_cast<std::int32_t>(len_);
    sqe->addr3 = reinterpret_cast<std::uintptr_t>(value_);
    set_fixed(sqe);
}

void send_op::prepare(io_uring_sqe* sqe) noexcept
{
    io_uring_prep_send(sqe, sock_.slot, data_.data(), data_.size(), MSG_NOSIGNAL);
    set_fixed(sqe);
}

void recv_op::prepare(io_uring_sqe* sqe) noexcept
{
    io_uring_prep_recv(sqe, sock_.slot, buf_.data(), buf_.size(), 0);
    set_fixed(sqe);
}

void close_op::prepare(io_uring_sqe* sqe) noexcept
{
    io_uring_prep_close_direct(sqe, static_cast<unsigned>(sock_.slot));
}

void shutdown_op::prepare(io_uring_sqe* sqe) noexcept
{
    io_uring_prep_shutdown(sqe, sock_.slot, how_);
    set_fixed(sqe);
}

timeout_op::timeout_op(reactor& r, std::chrono::nanoseconds d) noexcept : basic_op(r)
{
    ts_.tv_sec = d.count() / 1'000'000'000;
    ts_.tv_nsec = d.count() % 1'000'000'000;
}

void timeout_op::prepare(io_uring_sqe* sqe) noexcept
{
    io_uring_prep_timeout(sqe, reinterpret_cast<__kernel_timespec*>(&ts_), 0, 0);
}

void poll_op::prepare(io_uring_sqe* sqe) noexcept { io_uring_prep_poll_add(sqe, fd_, events_); }

void cancel_op::prepare(io_uring_sqe* sqe) noexcept
{
    // Cancellation is asynchronous: this CQE only says whether the target was found. The target
    // still posts its own final CQE (-ECANCELED, or its real result if it won the race), and only
    // then may its memory go away.
    if (target_ != nullptr) {
        io_uring_prep_cancel64(sqe, reinterpret_cast<std::uintptr_t>(target_), 0);
    } else {
        io_uring_prep_cancel_fd(sqe, sock_.slot, IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_FD_FIXED);
    }
}

void sleep_op::await_suspend(std::coroutine_handle<> h)
{
    waiter_ = h;
    fire_ = &sleep_op::on_fire;
    r_->timers().insert(*this);
}

void sleep_op::on_fire(timer_node* self, bool cancelled) noexcept
{
    auto* s = static_cast<sleep_op*>(self);
    s->cancelled_ = cancelled;
    s->stamp_ = mono_now();
    s->waiter_.resume();
}

void detail::deadline_state::arm(reactor& r, io_uring_sqe** sqes, std::coroutine_handle<> h) noexcept
{
    waiter_ = h;
    op_part_.complete_ = &deadline_state::on_op;
    op_part_.owner = this;
    remaining_ = 1;
    if (deadline_.is_set()) {
        sqes[0]->flags |= IOSQE_IO_LINK;
        ts_.tv_sec = deadline_.at_ns / 1'000'000'000;
        ts_.tv_nsec = deadline_.at_ns % 1'000'000'000;
        io_uring_prep_link_timeout(sqes[1], reinterpret_cast<__kernel_timespec*>(&ts_), IORING_TIMEOUT_ABS);
        timeout_part_.complete_ = &deadline_state::on_timeout;
        timeout_part_.owner = this;
        remaining_ = 2;
    }
    r.track(sqes[0], &op_part_);
    if (remaining_ == 2) {
        r.track(sqes[1], &timeout_part_);
    }
}

void detail::deadline_state::on_op(op_base* self, const io_result& r) noexcept
{
    auto* owner = static_cast<part*>(self)->owner;
    owner->op_result_ = r;
    owner->one_done();
}

void detail::deadline_state::on_timeout(op_base* self, const io_result& r) noexcept
{
    auto* owner = static_cast<part*>(self)->owner;
    owner->timeout_res_ = r.res;
    owner->one_done();
}

void detail::deadline_state::one_done() noexcept
{
    if (--remaining_ == 0) {
        waiter_.resume();
    }
}

io_result detail::deadline_state::result() const noexcept
{
    // The link timeout posts -ETIME when it fired (the operation then ends with -ECANCELED, or
    // -EINTR for a connect interrupted mid-way) and -ECANCELED when the operation finished first.
    // A success that raced the timer stays a success.
    if (timeout_res_ == -ETIME && op_result_.res < 0) {
        return io_result{-ETIME, op_result_.flags, op_result_.stamp_ns};
    }
    return op_result_;
}

wsp::error direct_alloc_error(std::int32_t res) noexcept
{
    if (res == -ENFILE) {
        return errc::fd_table_full;
    }
    return error_from_result(res);
}

} // namespace wsp::rt
