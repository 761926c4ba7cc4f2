// Cluster threads, MSG_RING posting, signalfd-driven stop and the bounded drain on shutdown.
#include "engine/runtime/cluster.h"

#include <liburing.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

#include "engine/runtime/detail/frame_pool.h"
#include "engine/runtime/detail/timer_heap.h"

namespace wsp::rt {
namespace {

thread_local cluster* tls_cluster = nullptr;

void ignore_message(message&, reactor&, std::int32_t) noexcept {}

std::uint64_t splitmix64(std::uint64_t x) noexcept
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

// Runs one loop iteration that returns no later than `until_ns`.
void run_until(reactor& r, std::int64_t until_ns)
{
    detail::timer_node wake;
    wake.when_ns = until_ns;
    wake.fire_ = [](detail::timer_node*, bool) noexcept {};
    r.timers().insert(wake);
    r.run_once(true);
    r.timers().remove(wake);
}

struct spawn_node : message {
    explicit spawn_node(task<void> t) noexcept : message(&spawn_node::deliver), body(std::move(t)) {}
    static void deliver(message& m, reactor& r, std::int32_t status) noexcept;
    task<void> body;
};

} // namespace

void message::on_cqe(op_base* self, const io_result& r) noexcept
{
    auto* m = static_cast<message*>(self);
    m->handler_(*m, *reactor::current(), r.res);
}

struct cluster::impl {
    struct worker {
        std::size_t index = 0;
        std::thread thread;
        int ring_fd = -1;
        message wake{&ignore_message};
    };

    cluster_config cfg;
    std::vector<std::unique_ptr<worker>> workers;
    std::atomic<bool> stop{false};
    std::atomic<std::size_t> arrived{0};

    std::mutex mu; // guards control ring, startup state, stop notification
    std::condition_variable cv;
    std::size_t ready = 0;
    bool failed = false;
    wsp::error first_error{};
    std::string diagnostic;
    bool joined = false;

    io_uring control{};
    bool control_ok = false;

    int signal_fd = -1;
    sigset_t old_mask{};
    bool mask_changed = false;

    // Reactor 0 polls the signalfd; on readiness it drains it and requests stop.
    struct signal_watch : detail::op_base {
        cluster* owner = nullptr;
        int fd = -1;
    } watch;

    impl() = default;
    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;
    ~impl()
    {
        if (control_ok) {
            io_uring_queue_exit(&control);
        }
        if (signal_fd >= 0) {
            ::close(signal_fd);
        }
    }
};

namespace {

void spawn_node::deliver(message& m, reactor& r, std::int32_t status) noexcept
{
    auto* node = static_cast<spawn_node*>(&m);
    task<void> body = std::move(node->body);
    node->~spawn_node();
    detail::frame_deallocate(node, sizeof(spawn_node));
    if (status >= 0 && tls_cluster != nullptr && !tls_cluster->stop_requested()) {
        r.root_scope().spawn(std::move(body));
    }
}

} // namespace

cluster::cluster(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}

cluster::~cluster() { join(); }

std::size_t cluster::size() const noexcept { return impl_->workers.size(); }

std::size_t cluster::place(std::uint64_t key) const noexcept { return splitmix64(key) % impl_->workers.size(); }

bool cluster::stop_requested() const noexcept { return impl_->stop.load(std::memory_order_acquire); }

namespace {

// Posts from a reactor thread: MSG_RING on the current ring. The target's CQE carries the tagged
// message pointer; the sender's CQE is skipped on success and reaches the message (status < 0)
// only on failure.
void post_from_reactor(reactor& cur, int target_fd, message& m, detail::op_base* node)
{
    io_uring_sqe* sqe = cur.acquire_sqe();
    io_uring_prep_msg_ring(sqe, target_fd, 0, reinterpret_cast<std::uintptr_t>(node) | 1U, 0);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    reactor::tag_message(sqe, node);
    (void)m;
}

int post_from_control(io_uring& ring, int target_fd, detail::op_base* node)
{
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    if (sqe == nullptr) {
        return -EBUSY;
    }
    io_uring_prep_msg_ring(sqe, target_fd, 0, reinterpret_cast<std::uintptr_t>(node) | 1U, 0);
    io_uring_sqe_set_data64(sqe, 0);
    int rc = io_uring_submit_and_wait(&ring, 1);
    if (rc < 0) {
        return rc;
    }
    io_uring_cqe* cqe = nullptr;
    rc = io_uring_wait_cqe(&ring, &cqe);
    if (rc < 0) {
        return rc;
    }
    const int res = cqe->res;
    io_uring_cqe_seen(&ring, cqe);
    return res;
}

} // namespace

wsp::expected<void> cluster::post(std::size_t index, message& m) noexcept
{
    if (index >= impl_->workers.size()) {
        return wsp::fail(errc::invalid_argument);
    }
    const int fd = impl_->workers[index]->ring_fd;
    reactor* cur = reactor::current();
    if (cur != nullptr && tls_cluster == this) {
        post_from_reactor(*cur, fd, m, static_cast<detail::op_base*>(&m));
        return {};
    }
    std::lock_guard lk(impl_->mu);
    if (impl_->stop.load(std::memory_order_acquire)) {
        return wsp::fail(errc::shutting_down);
    }
    const int res = post_from_control(impl_->control, fd, static_cast<detail::op_base*>(&m));
    if (res < 0) {
        return wsp::unexpected(error_from_result(res));
    }
    return {};
}

wsp::expected<void> cluster::spawn(std::size_t index, task<void> t)
{
    void* mem = detail::frame_allocate(sizeof(spawn_node));
    auto* node = new (mem) spawn_node(std::move(t));
    auto ok = post(index, *node);
    if (!ok) {
        node->~spawn_node();
        detail::frame_deallocate(mem, sizeof(spawn_node));
    }
    return ok;
}

void cluster::request_stop() noexcept
{
    {
        std::lock_guard lk(impl_->mu);
        if (impl_->stop.exchange(true, std::memory_order_acq_rel)) {
            return;
        }
        impl_->cv.notify_all();
    }
    // Wake every reactor so it notices the flag after its current wait.
    reactor* cur = reactor::current();
    const bool on_reactor = cur != nullptr && tls_cluster == this;
    std::lock_guard lk(impl_->mu);
    for (auto& w : impl_->workers) {
        if (w->ring_fd < 0) {
            continue;
        }
        if (on_reactor) {
            post_from_reactor(*cur, w->ring_fd, w->wake, static_cast<detail::op_base*>(&w->wake));
        } else if (impl_->control_ok) {
            (void)post_from_control(impl_->control, w->ring_fd, static_cast<detail::op_base*>(&w->wake));
        }
    }
}

void cluster::wait_for_stop()
{
    std::unique_lock lk(impl_->mu);
    impl_->cv.wait(lk, [this] { return impl_->stop.load(std::memory_order_acquire); });
}

void cluster::join()
{
    if (impl_->joined) {
        return;
    }
    impl_->joined = true;
    request_stop();
    for (auto& w : impl_->workers) {
        if (w->thread.joinable()) {
            w->thread.join();
        }
    }
    if (impl_->mask_changed) {
        ::pthread_sigmask(SIG_SETMASK, &impl_->old_mask, nullptr);
        impl_->mask_changed = false;
    }
}

namespace {

void arm_signal_watch(reactor& r, cluster::impl& c)
{
    io_uring_sqe* sqe = r.acquire_sqe();
    io_uring_prep_poll_add(sqe, c.signal_fd, POLLIN);
    r.track(sqe, &c.watch);
}

void on_signal(detail::op_base* self, const io_result& res) noexcept
{
    auto* w = static_cast<cluster::impl::signal_watch*>(self);
    if (res.res <= 0) {
        return; // cancelled during shutdown
    }
    signalfd_siginfo info{};
    while (::read(w->fd, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
    }
    w->owner->request_stop();
}

// Shutdown: grace period for the root scope, then cancel everything and wait for every final
// CQE; then wait at a barrier (still reaping late messages) so no ring disappears while a peer
// may still post to it.
void drain(reactor& r, cluster::impl& c)
{
    r.root_scope().request_stop();
    const std::int64_t grace_end = mono_now() + std::chrono::nanoseconds(c.cfg.shutdown_grace).count();
    while (r.root_scope().live() != 0 && mono_now() < grace_end) {
        run_until(r, grace_end);
    }
    constexpr std::int64_t retry_ns = 50'000'000;
    while (r.root_scope().live() != 0 || r.in_flight() != 0) {
        r.cancel_all();
        run_until(r, mono_now() + retry_ns);
    }
    c.arrived.fetch_add(1, std::memory_order_acq_rel);
    while (c.arrived.load(std::memory_order_acquire) < c.workers.size() || r.in_flight() != 0 ||
           r.root_scope().live() != 0) {
        run_until(r, mono_now() + 5'000'000);
        if (r.root_scope().live() != 0) {
            r.cancel_all();
        }
    }
    r.run_once(false);
}

} // namespace

wsp::expected<std::unique_ptr<cluster>> cluster::start(const cluster_config& cfg, std::string* diagnostic)
{
    auto p = std::make_unique<impl>();
    p->cfg = cfg;
    unsigned n = cfg.threads != 0 ? cfg.threads : std::thread::hardware_concurrency();
    n = n == 0 ? 1 : n;
    if (const int rc = io_uring_queue_init(8, &p->control, 0); rc < 0) {
        if (diagnostic != nullptr) {
            *diagnostic = "creating the cluster control ring failed (io_uring unavailable?)";
        }
        return wsp::fail(rc == -EPERM || rc == -ENOSYS ? errc::io_uring_unavailable : errc::setup_failed);
    }
    p->control_ok = true;
    if (cfg.handle_signals) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        ::pthread_sigmask(SIG_BLOCK, &set, &p->old_mask);
        p->mask_changed = true;
        p->signal_fd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    }
    std::unique_ptr<cluster> c(new cluster(std::move(p)));
    impl& im = *c->impl_;
    im.watch.complete_ = &on_signal;
    im.watch.owner = c.get();
    im.watch.fd = im.signal_fd;
    for (unsigned i = 0; i < n; ++i) {
        auto w = std::make_unique<impl::worker>();
        w->index = i;
        im.workers.push_back(std::move(w));
    }
    for (auto& wp : im.workers) {
        impl::worker* w = wp.get();
        cluster* self = c.get();
        w->thread = std::thread([self, w] {
            impl& ci = *self->impl_;
            tls_cluster = self;
            std::string diag;
            auto made = reactor::create(ci.cfg.reactor, &diag);
            {
                std::unique_lock lk(ci.mu);
                if (made) {
                    w->ring_fd = (*made)->ring_fd();
                } else if (!ci.failed) {
                    ci.failed = true;
                    ci.first_error = made.error();
                    ci.diagnostic = diag;
                }
                ++ci.ready;
                ci.cv.notify_all();
                ci.cv.wait(lk, [&] { return ci.ready == ci.workers.size(); });
            }
            if (!made) {
                ci.arrived.fetch_add(1, std::memory_order_acq_rel);
                return;
            }
            reactor& r = **made;
            if (w->index == 0 && ci.signal_fd >= 0) {
                arm_signal_watch(r, ci);
            }
            while (!ci.stop.load(std::memory_order_acquire)) {
                r.run_once(true);
            }
            drain(r, ci);
        });
    }
    {
        std::unique_lock lk(im.mu);
        im.cv.wait(lk, [&] { return im.ready == im.workers.size(); });
    }
    if (im.failed) {
        if (diagnostic != nullptr) {
            *diagnostic = im.diagnostic;
        }
        const wsp::error e = im.first_error;
        c->join();
        return wsp::unexpected(e);
    }
    return c;
}

} // namespace wsp::rt
