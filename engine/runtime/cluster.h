// A cluster: N reactors on N threads, work placed by key, cross-thread messages through
// IORING_OP_MSG_RING, and bounded, clean shutdown on request or SIGINT/SIGTERM (signalfd).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/runtime/detail/op_base.h"
#include "engine/runtime/reactor.h"
#include "engine/runtime/task.h"
#include "proto/error.h"

namespace wsp::rt {

class cluster;

// A cross-thread message. The runtime never allocates or frees it: the poster keeps it alive
// until the handler has run (e.g. embed it in the object it concerns, or pool it). The handler
// runs on the target reactor's thread with status 0; if delivery failed after a post from a
// reactor thread (the target ring is gone), it runs on the sender's thread with -errno.
class message : private detail::op_base {
public:
    using handler_fn = void (*)(message& m, reactor& where, std::int32_t status) noexcept;
    explicit message(handler_fn h) noexcept : op_base{&message::on_cqe}, handler_(h) {}
    message(const message&) = delete;
    message& operator=(const message&) = delete;

private:
    friend class cluster;
    static void on_cqe(op_base* self, const io_result& r) noexcept;
    handler_fn handler_;
};

struct cluster_config {
    unsigned threads = 0;  // 0: one reactor per core (std::thread::hardware_concurrency)
    reactor_config reactor{};
    bool handle_signals = true; // block SIGINT/SIGTERM in the process's threads, stop on receipt
    std::chrono::milliseconds shutdown_grace{5000}; // in-flight work may finish within this bound
};

class cluster {
public:
    // Starts the threads; each creates its own reactor (SINGLE_ISSUER ties the ring to it).
    // If any reactor fails, all are stopped and the first error (with `diagnostic`) is returned.
    // With handle_signals, SIGINT and SIGTERM are blocked in the calling thread (inherited by the
    // workers) until join(), and delivered through a signalfd polled by reactor 0.
    [[nodiscard]] static wsp::expected<std::unique_ptr<cluster>> start(const cluster_config& cfg,
                                                                      std::string* diagnostic = nullptr);
    cluster(const cluster&) = delete;
    cluster& operator=(const cluster&) = delete;
    ~cluster(); // join()

    [[nodiscard]] std::size_t size() const noexcept;
    // Reactor index for a key (stable for a given size): splitmix64(key) % size().
    [[nodiscard]] std::size_t place(std::uint64_t key) const noexcept;

    // Delivers `m` to reactor `index` (any thread). From a reactor thread: one MSG_RING SQE on
    // the current ring, no syscall, no allocation. From other threads: through a small control
    // ring under a mutex. Fails with errc::shutting_down once stop was requested (external
    // threads), errc::invalid_argument for a bad index.
    [[nodiscard]] wsp::expected<void> post(std::size_t index, message& m) noexcept;

    // Runs `t` in reactor `index`'s root scope. The task frame is created by the caller; the
    // carrier node comes from the frame pool (no heap after warm-up). Tasks delivered after stop
    // was requested are destroyed without running.
    [[nodiscard]] wsp::expected<void> spawn(std::size_t index, task<void> t);

    // Any thread, idempotent: reactors stop taking new loop iterations, let their root scopes
    // finish within shutdown_grace, then cancel what is left and wait for every final CQE.
    void request_stop() noexcept;
    [[nodiscard]] bool stop_requested() const noexcept;
    // Blocks the calling (non-reactor) thread until stop is requested (signal or request_stop).
    void wait_for_stop();
    // request_stop() and wait for every thread to finish; restores the signal mask.
    void join();

    struct impl;

private:
    explicit cluster(std::unique_ptr<impl> p) noexcept;
    std::unique_ptr<impl> impl_;
};

} // namespace wsp::rt
