// The reactor: one io_uring per thread with a sparse direct-descriptor table, a provided-buffer
// ring, a timer heap and a root scope. Everything here runs on the owning thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include "engine/runtime/clock.h"
#include "engine/runtime/detail/op_base.h"
#include "engine/runtime/errc.h"
#include "engine/runtime/task.h"
#include "proto/error.h"

struct io_uring_sqe;

namespace wsp::rt {

namespace detail {
class buffer_ring;
class timer_heap;
} // namespace detail

struct reactor_config {
    unsigned sq_entries = 4096;
    unsigned cq_entries = 0;    // 0: 4 x sq_entries
    unsigned fd_table_size = 0; // 0: the RLIMIT_NOFILE soft limit (each ring has its own table)
    unsigned buffer_count = 4096; // provided receive buffers; power of two, <= 32768
    unsigned buffer_size = 4096;
    bool fast_setup_flags = true; // try SINGLE_ISSUER | DEFER_TASKRUN | COOP_TASKRUN | SUBMIT_ALL
};

// What the kernel granted; self_check() prints it.
struct setup_report {
    unsigned requested_flags = 0;
    unsigned obtained_flags = 0;
    unsigned features = 0;
    unsigned sq_entries = 0;
    unsigned cq_entries = 0;
    unsigned fd_table_size = 0;
    unsigned buffer_count = 0;
    unsigned buffer_size = 0;
    bool has_bind = false;    // IORING_OP_BIND (Linux 6.11+)
    bool has_listen = false;  // IORING_OP_LISTEN (Linux 6.11+)
    std::string fallback;     // why the fast flags were dropped, empty if they were obtained
};

class reactor {
public:
    // Creates a ring owned by the calling thread (SINGLE_ISSUER and DEFER_TASKRUN tie it to this
    // thread: all submissions and waits must come from here). Checks every opcode and feature the
    // engine needs; on failure returns io_uring_unavailable, missing_opcode or setup_failed and,
    // if `diagnostic` is given, one readable sentence naming what is missing.
    [[nodiscard]] static wsp::expected<std::unique_ptr<reactor>> create(const reactor_config& cfg = {},
                                                                        std::string* diagnostic = nullptr);
    reactor(const reactor&) = delete;
    reactor& operator=(const reactor&) = delete;
    // Requires the root scope to be joined and no operation in flight (in_flight() == 0);
    // otherwise calls std::terminate, since frames the kernel still references would dangle.
    ~reactor();

    // Submits pending SQEs, waits (if `block`) for at least one completion or the next timer,
    // reaps every available CQE (one clock read per batch) and fires due timers. Returns the
    // number of completions and timers handled. Must not be called from inside a completion.
    std::size_t run_once(bool block);

    // The reactor owned by the calling thread, or nullptr.
    [[nodiscard]] static reactor* current() noexcept;

    [[nodiscard]] const setup_report& report() const noexcept;
    // Operations that will still post a CQE to this ring.
    [[nodiscard]] std::size_t in_flight() const noexcept;
    // Work posted to this reactor (cluster messages, spawns) belongs here.
    [[nodiscard]] scope& root_scope() noexcept;
    // The ring's file descriptor (target of IORING_OP_MSG_RING).
    [[nodiscard]] int ring_fd() const noexcept;
    // Time of the last reap batch (ns, CLOCK_MONOTONIC).
    [[nodiscard]] std::int64_t last_stamp() const noexcept;

    // Cancels every in-flight operation and fires every timer as cancelled. Operations complete
    // later with errc::cancelled (or their real result if they won the race); keep running the
    // reactor until in_flight() reaches 0. Cost is linear in the operations in flight: each armed
    // lasting operation (multishot receive or accept) is cancelled by its own user_data, once
    // however often this is called, and a single IORING_ASYNC_CANCEL_ANY sweep for the others is
    // queued only after their final CQEs arrived (see lasting_op). Safe to call repeatedly.
    void cancel_all() noexcept;

    // Cancel requests queued so far (per-operation cancels plus sweeps); lets tests and
    // benchmarks check that cancellation work is linear.
    [[nodiscard]] std::uint64_t cancel_requests() const noexcept;
    // Lasting operations armed and not yet asked to cancel.
    [[nodiscard]] std::size_t lasting_armed() const noexcept;

    // ---- for operation implementations (engine/runtime only) ----
    // An SQE, never null: a full submission queue is flushed to the kernel and retried.
    [[nodiscard]] io_uring_sqe* acquire_sqe() noexcept;
    // `n` (<= 8) SQEs for one linked chain, all acquired before any is filled.
    void acquire_sqes(io_uring_sqe** out, unsigned n) noexcept;
    // Sets user_data to `op` and counts it as in flight (it must post a final CQE).
    void track(io_uring_sqe* sqe, detail::op_base* op) noexcept;
    // Like track(), for an operation that may post many CQEs and stay armed indefinitely: it is
    // listed until its final CQE (F_MORE clear) is reaped, which happens before complete_ runs,
    // so a handler may re-arm at once. May allocate when the list outgrows its peak.
    void track_lasting(io_uring_sqe* sqe, detail::lasting_op* op);
    // Asks the kernel to cancel `op` by its user_data (no-op unless it is armed and not yet asked).
    // Its final CQE arrives later, as for any cancellation.
    void cancel(detail::lasting_op& op) noexcept;
    // Sets user_data to `op` tagged as foreign (message), not counted.
    static void tag_message(io_uring_sqe* sqe, detail::op_base* op) noexcept;
    [[nodiscard]] detail::buffer_ring& buffers() noexcept;
    [[nodiscard]] detail::timer_heap& timers() noexcept;

    struct impl;

private:
    explicit reactor(std::unique_ptr<impl> p) noexcept;
    std::unique_ptr<impl> impl_;
};

// Drives `r` on the calling thread until `t` completes; returns its value or rethrows its
// exception. For tools and tests (the calling thread must own `r`; not from inside a task).
template <class T>
T sync_wait(reactor& r, task<T> t);

namespace detail {
struct sync_state {
    bool done = false;
    std::exception_ptr error;
};
// Awaits `t`, records an escaping exception, then sets `done`.
task<void> sync_driver(task<void> t, sync_state* st);
void sync_drive(reactor& r, task<void> t, sync_state& st);

template <class T>
task<void> sync_store(task<T> t, std::optional<T>* out)
{
    out->emplace(co_await std::move(t));
}
} // namespace detail

template <class T>
T sync_wait(reactor& r, task<T> t)
{
    detail::sync_state st;
    std::optional<T> out;
    detail::sync_drive(r, detail::sync_store(std::move(t), &out), st);
    if (st.error) {
        std::rethrow_exception(st.error);
    }
    return std::move(*out);
}

template <>
inline void sync_wait<void>(reactor& r, task<void> t)
{
    detail::sync_state st;
    detail::sync_drive(r, std::move(t), st);
    if (st.error) {
        std::rethrow_exception(st.error);
    }
}

} // namespace wsp::rt
