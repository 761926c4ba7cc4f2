// Ring setup with capability checks, the submit/reap loop and completion dispatch.
#include "engine/runtime/reactor.h"

#include <liburing.h>
#include <sys/resource.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "engine/runtime/detail/buffer_ring.h"
#include "engine/runtime/detail/timer_heap.h"

namespace wsp::rt {

struct reactor::impl {
    // The IORING_ASYNC_CANCEL_ANY sweep of cancel_all(): its CQE (count or -ENOENT) ends it.
    struct sweep_op : detail::op_base {
        impl* owner = nullptr;
    };

    io_uring ring{};
    bool ring_ok = false;
    setup_report report;
    detail::buffer_ring buffers;
    detail::timer_heap timers;
    scope root;
    std::size_t in_flight = 0;
    std::int64_t last_stamp = 0;
    std::vector<detail::lasting_op*> armed; // lasting operations in flight, not asked to cancel
    std::size_t cancelling = 0;             // lasting operations asked to cancel, final CQE pending
    std::uint64_t cancel_requests = 0;
    sweep_op sweep;
    bool sweep_wanted = false;
    bool sweep_in_flight = false;

    impl() = default;
    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;
    ~impl()
    {
        buffers.destroy();
        if (ring_ok) {
            io_uring_queue_exit(&ring);
        }
    }
};

namespace {

thread_local reactor* tls_current = nullptr;

// user_data tags: 0 means "ignore" (fire-and-forget cancels); bit 0 marks a message delivered by
// IORING_OP_MSG_RING (or its failure on the sender), which is not counted in in_flight.
// Bit 1 marks a lasting operation (detail::lasting_op), listed until its final CQE.
constexpr std::uint64_t message_tag = 1;
constexpr std::uint64_t lasting_tag = 2;
constexpr std::uint64_t tag_mask = message_tag | lasting_tag;

std::uint64_t lasting_user_data(detail::lasting_op* op) noexcept
{
    return reinterpret_cast<std::uintptr_t>(static_cast<detail::op_base*>(op)) | lasting_tag;
}

void unlist(std::vector<detail::lasting_op*>& armed, detail::lasting_op* op) noexcept
{
    detail::lasting_op* last = armed.back();
    armed[op->slot_] = last;
    last->slot_ = op->slot_;
    armed.pop_back();
    op->slot_ = detail::lasting_op::not_listed;
}

// The final CQE of a lasting operation was reaped: it leaves the armed list (or the count of
// cancellations still outstanding).
void settle(reactor::impl& im, detail::lasting_op* op) noexcept
{
    if (op->slot_ == detail::lasting_op::cancel_requested) {
        --im.cancelling;
    } else if (op->slot_ != detail::lasting_op::not_listed) {
        unlist(im.armed, op);
    }
    op->slot_ = detail::lasting_op::not_listed;
}

struct required_op {
    int op;
    const char* name;
    const char* since;
};

constexpr std::array<required_op, 15> required_ops{{
    {IORING_OP_NOP, "IORING_OP_NOP", "5.1"},
    {IORING_OP_POLL_ADD, "IORING_OP_POLL_ADD", "5.1"},
    {IORING_OP_TIMEOUT, "IORING_OP_TIMEOUT", "5.4"},
    {IORING_OP_ASYNC_CANCEL, "IORING_OP_ASYNC_CANCEL", "5.5"},
    {IORING_OP_LINK_TIMEOUT, "IORING_OP_LINK_TIMEOUT", "5.5"},
    {IORING_OP_CONNECT, "IORING_OP_CONNECT", "5.5"},
    {IORING_OP_ACCEPT, "IORING_OP_ACCEPT", "5.5"},
    {IORING_OP_CLOSE, "IORING_OP_CLOSE", "5.6"},
    {IORING_OP_FILES_UPDATE, "IORING_OP_FILES_UPDATE", "5.6"},
    {IORING_OP_SEND, "IORING_OP_SEND", "5.6"},
    {IORING_OP_RECV, "IORING_OP_RECV", "5.6"},
    {IORING_OP_SHUTDOWN, "IORING_OP_SHUTDOWN", "5.11"},
    {IORING_OP_MSG_RING, "IORING_OP_MSG_RING", "5.18"},
    {IORING_OP_SOCKET, "IORING_OP_SOCKET", "5.19"},
    {IORING_OP_URING_CMD, "IORING_OP_URING_CMD", "5.19 (socket options 6.7)"},
}};

struct required_feature {
    unsigned bit;
    const char* name;
    const char* since;
};

constexpr std::array<required_feature, 5> required_features{{
    {IORING_FEAT_NODROP, "IORING_FEAT_NODROP", "5.5"},
    {IORING_FEAT_SUBMIT_STABLE, "IORING_FEAT_SUBMIT_STABLE", "5.5"},
    {IORING_FEAT_FAST_POLL, "IORING_FEAT_FAST_POLL", "5.7"},
    {IORING_FEAT_EXT_ARG, "IORING_FEAT_EXT_ARG", "5.11"},
    {IORING_FEAT_CQE_SKIP, "IORING_FEAT_CQE_SKIP", "5.17"},
}};

// Opcodes newer than liburing 2.3's header.
constexpr int op_bind = 56;
constexpr int op_listen = 57;

void say(std::string* out, const std::string& text)
{
    if (out != nullptr) {
        *out = text;
    }
}

std::string io_uring_disabled_sysctl()
{
    std::FILE* f = std::fopen("/proc/sys/kernel/io_uring_disabled", "re");
    if (f == nullptr) {
        return "unknown";
    }
    char buf[16] = {};
    const std::size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
    std::fclose(f);
    std::string v(buf, n);
    while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) {
        v.pop_back();
    }
    return v;
}

// Tries the fast flags first and falls back on -EINVAL (older kernels refuse unknown flags).
int setup_ring(io_uring& ring, const reactor_config& cfg, setup_report& rep)
{
    const unsigned cq = cfg.cq_entries != 0 ? cfg.cq_entries : cfg.sq_entries * 4;
    const unsigned fast = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
                          IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL;
    const std::array<unsigned, 3> ladder{fast, IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL, 0U};
    rep.requested_flags = cfg.fast_setup_flags ? fast : 0U;
    int rc = -EINVAL;
    for (std::size_t i = cfg.fast_setup_flags ? 0 : 2; i < ladder.size(); ++i) {
        io_uring_params p{};
        p.flags = ladder[i] | IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
        p.cq_entries = cq;
        rc = io_uring_queue_init_params(cfg.sq_entries, &ring, &p);
        if (rc == 0) {
            rep.obtained_flags = ladder[i];
            rep.features = p.features;
            rep.sq_entries = p.sq_entries;
            rep.cq_entries = p.cq_entries;
            if (i != 0 && cfg.fast_setup_flags) {
                rep.fallback = "kernel refused SINGLE_ISSUER|DEFER_TASKRUN (EINVAL); using fallback flags";
            }
            return 0;
        }
        if (rc != -EINVAL) {
            return rc;
        }
    }
    return rc;
}

wsp::expected<void> check_capabilities(io_uring& ring, setup_report& rep, std::string* diagnostic)
{
    io_uring_probe* probe = io_uring_get_probe_ring(&ring);
    if (probe == nullptr) {
        say(diagnostic, "io_uring probe (IORING_REGISTER_PROBE, Linux 5.6) failed; the kernel is too old");
        return wsp::fail(errc::missing_opcode);
    }
    for (const required_op& r : required_ops) {
        if (io_uring_opcode_supported(probe, r.op) == 0) {
            say(diagnostic, std::string("io_uring opcode ") + r.name + " is not supported (needs Linux " +
                                r.since + " or a seccomp/LSM policy blocks it)");
            io_uring_free_probe(probe);
            return wsp::fail(errc::missing_opcode);
        }
    }
    rep.has_bind = probe->last_op >= op_bind && io_uring_opcode_supported(probe, op_bind) != 0;
    rep.has_listen = probe->last_op >= op_listen && io_uring_opcode_supported(probe, op_listen) != 0;
    io_uring_free_probe(probe);
    for (const required_feature& f : required_features) {
        if ((rep.features & f.bit) == 0) {
            say(diagnostic, std::string("io_uring feature ") + f.name + " is missing (needs Linux " + f.since + ")");
            return wsp::fail(errc::missing_opcode);
        }
    }
    return {};
}

unsigned nofile_soft_limit()
{
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) {
        return 1024;
    }
    return static_cast<unsigned>(std::min<rlim_t>(rl.rlim_cur, std::numeric_limits<int>::max()));
}

} // namespace

wsp::expected<std::unique_ptr<reactor>> reactor::create(const reactor_config& cfg, std::string* diagnostic)
{
    if (tls_current != nullptr) {
        say(diagnostic, "this thread already owns a reactor (one ring per thread)");
        return wsp::fail(errc::setup_failed);
    }
    auto p = std::make_unique<impl>();
    const int rc = setup_ring(p->ring, cfg, p->report);
    if (rc != 0) {
        if (rc == -EPERM || rc == -ENOSYS || rc == -EACCES) {
            say(diagnostic, std::string("io_uring_setup failed: ") + std::strerror(-rc) +
                                "; io_uring is disabled (sysctl kernel.io_uring_disabled=" +
                                io_uring_disabled_sysctl() + ") or blocked by a seccomp filter");
            return wsp::fail(errc::io_uring_unavailable);
        }
        say(diagnostic, std::string("io_uring_setup failed: ") + std::strerror(-rc));
        return wsp::fail(errc::setup_failed);
    }
    p->ring_ok = true;
    if (auto ok = check_capabilities(p->ring, p->report, diagnostic); !ok) {
        return wsp::unexpected(ok.error());
    }
    unsigned table = cfg.fd_table_size != 0 ? cfg.fd_table_size : nofile_soft_limit();
    table = std::min(table, nofile_soft_limit());
    if (const int frc = io_uring_register_files_sparse(&p->ring, table); frc < 0) {
        say(diagnostic, std::string("registering a sparse direct-descriptor table of ") + std::to_string(table) +
                            " slots failed: " + std::strerror(-frc) + " (needs Linux 5.19)");
        return wsp::fail(errc::setup_failed);
    }
    p->report.fd_table_size = table;
    if (auto ok = p->buffers.init(&p->ring, cfg.buffer_count, cfg.buffer_size, 0); !ok) {
        say(diagnostic, "registering the provided buffer ring (" + std::to_string(cfg.buffer_count) + " x " +
                            std::to_string(cfg.buffer_size) +
                            " bytes) failed; needs Linux 5.19 and a power-of-two count <= 32768");
        return wsp::unexpected(ok.error());
    }
    p->report.buffer_count = cfg.buffer_count;
    p->report.buffer_size = cfg.buffer_size;
    p->timers.reserve(1024);
    p->armed.reserve(1024);
    p->sweep.owner = p.get();
    p->sweep.complete_ = [](detail::op_base* self, const io_result&) noexcept {
        static_cast<impl::sweep_op*>(self)->owner->sweep_in_flight = false;
    };
    std::unique_ptr<reactor> r(new reactor(std::move(p)));
    tls_current = r.get();
    return r;
}

reactor::reactor(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}

reactor::~reactor()
{
    // Never unmap what the kernel may still write to, or free frames it still points at: cancel
    // everything and reap until the final CQE of every operation has arrived.
    if (impl_->in_flight != 0) {
        cancel_all();
        while (impl_->in_flight != 0) {
            run_once(true);
        }
    }
    if (impl_->root.live() != 0) {
        std::terminate();
    }
    if (tls_current == this) {
        tls_current = nullptr;
    }
}

reactor* reactor::current() noexcept { return tls_current; }
const setup_report& reactor::report() const noexcept { return impl_->report; }
std::size_t reactor::in_flight() const noexcept { return impl_->in_flight; }
scope& reactor::root_scope() noexcept { return impl_->root; }
std::uint64_t reactor::cancel_requests() const noexcept { return impl_->cancel_requests; }
std::size_t reactor::lasting_armed() const noexcept { return impl_->armed.size(); }
int reactor::ring_fd() const noexcept { return impl_->ring.ring_fd; }
std::int64_t reactor::last_stamp() const noexcept { return impl_->last_stamp; }
detail::buffer_ring& reactor::buffers() noexcept { return impl_->buffers; }
detail::timer_heap& reactor::timers() noexcept { return impl_->timers; }

io_uring_sqe* reactor::acquire_sqe() noexcept
{
    io_uring_sqe* sqe = io_uring_get_sqe(&impl_->ring);
    while (sqe == nullptr) {
        // A full SQ is not an error: hand what we have to the kernel and take a fresh slot.
        (void)io_uring_submit(&impl_->ring);
        sqe = io_uring_get_sqe(&impl_->ring);
    }
    return sqe;
}

void reactor::acquire_sqes(io_uring_sqe** out, unsigned n) noexcept
{
    // A linked chain must be contiguous in one submission: make room for all of it first.
    while (io_uring_sq_space_left(&impl_->ring) < n) {
        (void)io_uring_submit(&impl_->ring);
    }
    for (unsigned i = 0; i < n; ++i) {
        out[i] = io_uring_get_sqe(&impl_->ring);
    }
}

void reactor::track(io_uring_sqe* sqe, detail::op_base* op) noexcept
{
    io_uring_sqe_set_data(sqe, op);
    ++impl_->in_flight;
}

void reactor::tag_message(io_uring_sqe* sqe, detail::op_base* op) noexcept
{
    io_uring_sqe_set_data64(sqe, reinterpret_cast<std::uintptr_t>(op) | message_tag);
}

void reactor::track_lasting(io_uring_sqe* sqe, detail::lasting_op* op)
{
    io_uring_sqe_set_data64(sqe, lasting_user_data(op));
    ++impl_->in_flight;
    op->slot_ = static_cast<std::uint32_t>(impl_->armed.size());
    impl_->armed.push_back(op);
}

void reactor::cancel(detail::lasting_op& op) noexcept
{
    if (op.slot_ == detail::lasting_op::not_listed || op.slot_ == detail::lasting_op::cancel_requested) {
        return;
    }
    unlist(impl_->armed, &op);
    op.slot_ = detail::lasting_op::cancel_requested;
    ++impl_->cancelling;
    ++impl_->cancel_requests;
    // Matched by user_data: the kernel looks the request up in its cancel hash instead of walking
    // every armed request. A found request posts its own final CQE (-ECANCELED); the cancel's own
    // CQE is skipped on success and ignored otherwise (user_data 0: -ENOENT when the final CQE is
    // already on its way, -EALREADY when it is completing).
    io_uring_sqe* sqe = acquire_sqe();
    io_uring_prep_cancel64(sqe, lasting_user_data(&op), 0);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(sqe, 0);
}

namespace {

// IORING_ASYNC_CANCEL_ANY looks for each victim by walking the ring's poll requests from the
// start, and a request it cancelled stays there until its task work has run, i.e. until the next
// io_uring_enter reaps it: n armed receives cost n^2/2 steps (9,000: 0.5 s; 18,000: 4.7 s). So the
// sweep only goes out once every lasting operation asked to cancel has posted its final CQE,
// leaving the few short-lived requests (sends, connects, polls) for it to find.
void maybe_sweep(reactor& r, reactor::impl& im) noexcept
{
    if (!im.sweep_wanted || im.sweep_in_flight || im.cancelling != 0) {
        return;
    }
    im.sweep_wanted = false;
    if (im.in_flight == 0) {
        return;
    }
    im.sweep_in_flight = true;
    ++im.cancel_requests;
    io_uring_sqe* sqe = r.acquire_sqe();
    io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
    r.track(sqe, &im.sweep);
}

} // namespace

void reactor::cancel_all() noexcept
{
    while (!impl_->armed.empty()) {
        cancel(*impl_->armed.back());
    }
    impl_->sweep_wanted = true;
    maybe_sweep(*this, *impl_);
    impl_->timers.cancel_all();
}

std::size_t reactor::run_once(bool block)
{
    io_uring& ring = impl_->ring;
    // With DEFER_TASKRUN the kernel posts completions only when this (owning) thread enters
    // io_uring_enter with GETEVENTS: io_uring_peek_cqe alone never makes progress, so both paths
    // below go through the kernel.
    if (block) {
        const std::int64_t next = impl_->timers.next_ns();
        if (next == std::numeric_limits<std::int64_t>::max()) {
            (void)io_uring_submit_and_wait(&ring, 1);
        } else {
            const std::int64_t wait = next - mono_now();
            if (wait <= 0) {
                (void)io_uring_submit_and_get_events(&ring);
            } else {
                __kernel_timespec ts{wait / 1'000'000'000, wait % 1'000'000'000};
                io_uring_cqe* cqe = nullptr;
                // EXT_ARG: the timeout rides on io_uring_enter, no SQE, and -ETIME is normal.
                (void)io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, nullptr);
            }
        }
    } else {
        (void)io_uring_submit_and_get_events(&ring);
    }

    constexpr unsigned batch = 64;
    std::size_t handled = 0;
    for (;;) {
        std::array<io_uring_cqe*, batch> cqes{};
        const unsigned n = io_uring_peek_batch_cqe(&ring, cqes.data(), batch);
        if (n == 0) {
            break;
        }
        const std::int64_t stamp = mono_now();
        impl_->last_stamp = stamp;
        struct copied {
            std::uint64_t user_data;
            std::int32_t res;
            std::uint32_t flags;
        };
        std::array<copied, batch> local{};
        for (unsigned i = 0; i < n; ++i) {
            local[i] = copied{cqes[i]->user_data, cqes[i]->res, cqes[i]->flags};
        }
        // Release the CQ slots before resuming anyone, so completions may submit freely.
        io_uring_cq_advance(&ring, n);
        for (unsigned i = 0; i < n; ++i) {
            const copied& c = local[i];
            if (c.user_data == 0) {
                continue;
            }
            auto* op = reinterpret_cast<detail::op_base*>(c.user_data & ~tag_mask);
            if ((c.user_data & message_tag) == 0 && (c.flags & IORING_CQE_F_MORE) == 0) {
                --impl_->in_flight;
                if ((c.user_data & lasting_tag) != 0) {
                    settle(*impl_, static_cast<detail::lasting_op*>(op));
                }
            }
            op->complete_(op, io_result{c.res, c.flags, stamp});
        }
        handled += n;
    }
    if (impl_->timers.size() != 0 && impl_->timers.next_ns() <= mono_now()) {
        handled += impl_->timers.fire_expired(mono_now());
    }
    impl_->buffers.wake_waiters();
    maybe_sweep(*this, *impl_);
    return handled;
}

namespace detail {

task<void> sync_driver(task<void> t, sync_state* st)
{
    try {
        co_await std::move(t);
    } catch (...) {
        st->error = std::current_exception();
    }
    st->done = true;
}

void sync_drive(reactor& r, task<void> t, sync_state& st)
{
    auto h = sync_driver(std::move(t), &st).release();
    h.resume();
    while (!st.done) {
        r.run_once(true);
    }
    h.destroy();
}

} // namespace detail
} // namespace wsp::rt
