// connect_tcp, close_socket, send_all_op and listener (connect(2), setsockopt(2), listen(2)).
#include "engine/runtime/socket.h"

#include <liburing.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>

#include "engine/runtime/ops.h"

namespace wsp::rt {
namespace {

// IORING_OP_FILES_UPDATE with offset IORING_FILE_INDEX_ALLOC: installs a plain fd into a free
// direct-descriptor slot; the kernel writes the slot back into fds_[0].
class install_op : public detail::basic_op<install_op> {
public:
    install_op(reactor& r, int fd) noexcept : basic_op(r) { fds_[0] = fd; }
    void prepare(io_uring_sqe* sqe) noexcept
    {
        io_uring_prep_files_update(sqe, fds_, 1, static_cast<int>(IORING_FILE_INDEX_ALLOC));
    }
    [[nodiscard]] int slot() const noexcept { return fds_[0]; }

private:
    int fds_[1] = {-1};
};

// Fallback for kernels without IORING_OP_BIND: socket(2), options, bind(2) on a plain fd, then
// install it into the table and close the plain fd (the table holds its own reference).
task<wsp::expected<socket>> open_bound_plain(reactor& r, address to, connect_options opt)
{
    const int fd = ::socket(to.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        co_return wsp::fail(errc_from_errno(errno));
    }
    const int one = 1;
    if (opt.no_delay) {
        (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    if (opt.source->port() == 0) {
        (void)::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
    }
    if (::bind(fd, opt.source->data(), opt.source->size()) != 0) {
        const int err = errno;
        ::close(fd);
        co_return wsp::fail(errc_from_errno(err));
    }
    install_op inst(r, fd);
    const io_result res = co_await inst;
    ::close(fd);
    if (res.res < 0) {
        co_return wsp::unexpected(direct_alloc_error(res.res == -EMFILE ? -ENFILE : res.res));
    }
    co_return socket{inst.slot()};
}

task<wsp::expected<socket>> open_configured(reactor& r, address to, connect_options opt)
{
    if (opt.source && !r.report().has_bind) {
        co_return co_await open_bound_plain(r, to, opt);
    }
    const io_result so = co_await socket_op(r, to.family());
    if (!so.ok()) {
        co_return wsp::unexpected(direct_alloc_error(so.res));
    }
    const socket s{so.res};
    const int one = 1;
    if (opt.no_delay) {
        // Best effort: a kernel without socket uring_cmd (< 6.7) only loses Nagle tuning.
        (void)co_await setsockopt_op(r, s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    if (opt.source) {
        if (opt.source->port() == 0) {
            (void)co_await setsockopt_op(r, s, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
        }
        const io_result b = co_await bind_op(r, s, *opt.source);
        if (!b.ok()) {
            (void)co_await close_op(r, s);
            co_return wsp::unexpected(b.error());
        }
    }
    co_return s;
}

} // namespace

task<wsp::expected<connected>> connect_tcp(reactor& r, address to, connect_options opt)
{
    if (opt.source && opt.source->family() != to.family()) {
        co_return wsp::fail(errc::address_family_unsupported);
    }
    wsp::expected<socket> s = co_await open_configured(r, to, opt);
    if (!s) {
        co_return wsp::unexpected(s.error());
    }
    connected c;
    c.sock = *s;
    c.start_ns = mono_now();
    const io_result res = co_await with_deadline(connect_op(r, *s, to), opt.until);
    c.done_ns = res.stamp_ns;
    if (!res.ok()) {
        (void)co_await close_op(r, *s);
        co_return wsp::unexpected(res.error());
    }
    co_return c;
}

task<io_result> close_socket(reactor& r, socket s, close_mode mode)
{
    if (mode == close_mode::abort) {
        const ::linger lg{1, 0};
        (void)co_await setsockopt_op(r, s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    }
    co_return co_await close_op(r, s);
}

send_all_op::send_all_op(reactor& r, socket s, std::span<const std::byte> data, deadline until) noexcept
    : op_base{&send_all_op::on_cqe}, r_(&r), data_(data), sock_(s)
{
    when_ns = until.at_ns;
    fire_ = &send_all_op::on_fire;
}

send_all_op::~send_all_op() { r_->timers().remove(*this); }

void send_all_op::await_suspend(std::coroutine_handle<> h)
{
    waiter_ = h;
    if (when_ns != deadline::never().at_ns) {
        r_->timers().insert(*this);
    }
    submit();
}

void send_all_op::submit() noexcept
{
    io_uring_sqe* sqe = r_->acquire_sqe();
    const std::span<const std::byte> rest = data_.subspan(sent_);
    io_uring_prep_send(sqe, sock_.slot, rest.data(), rest.size(), MSG_NOSIGNAL);
    sqe->flags |= IOSQE_FIXED_FILE;
    r_->track(sqe, static_cast<op_base*>(this));
}

void send_all_op::on_cqe(op_base* self, const io_result& r) noexcept
{
    auto* s = static_cast<send_all_op*>(self);
    if (r.res > 0) {
        s->sent_ += static_cast<std::size_t>(r.res);
        if (s->sent_ < s->data_.size() && !s->timed_out_) {
            s->submit();
            return;
        }
    }
    s->r_->timers().remove(*s);
    if (s->sent_ == s->data_.size()) {
        s->result_ = io_result{static_cast<std::int32_t>(s->sent_), r.flags, r.stamp_ns};
    } else if (s->timed_out_) {
        s->result_ = io_result{-ETIME, r.flags, r.stamp_ns};
    } else {
        // A zero-byte send on a non-empty buffer means the connection is gone.
        s->result_ = io_result{r.res < 0 ? r.res : -EPIPE, r.flags, r.stamp_ns};
    }
    s->waiter_.resume();
}

void send_all_op::on_fire(timer_node* self, bool cancelled) noexcept
{
    auto* s = static_cast<send_all_op*>(self);
    s->timed_out_ = !cancelled || s->timed_out_;
    // Cancel the in-flight send; its final CQE (-ECANCELED or a late success) resumes us.
    io_uring_sqe* sqe = s->r_->acquire_sqe();
    io_uring_prep_cancel64(sqe, reinterpret_cast<std::uintptr_t>(static_cast<op_base*>(s)), 0);
    io_uring_sqe_set_data64(sqe, 0);
}

wsp::expected<listener> listener::open(const address& local, int backlog)
{
    const int fd = ::socket(local.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return wsp::fail(errc_from_errno(errno));
    }
    const int one = 1;
    (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd, local.data(), local.size()) != 0 || ::listen(fd, backlog) != 0) {
        const int err = errno;
        ::close(fd);
        return wsp::fail(errc_from_errno(err));
    }
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
        const int err = errno;
        ::close(fd);
        return wsp::fail(errc_from_errno(err));
    }
    auto bound = address::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), len);
    if (!bound) {
        ::close(fd);
        return wsp::unexpected(bound.error());
    }
    return listener(fd, *bound);
}

listener::listener(listener&& o) noexcept : fd_(std::exchange(o.fd_, -1)), local_(o.local_) {}

listener& listener::operator=(listener&& o) noexcept
{
    if (this != &o) {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = std::exchange(o.fd_, -1);
        local_ = o.local_;
    }
    return *this;
}

listener::~listener()
{
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

} // namespace wsp::rt
