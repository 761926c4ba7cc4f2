// Per-connection receive stream: multishot IORING_OP_RECV over the reactor's provided buffer
// ring. An idle connection holds no receive buffer; the kernel picks one when bytes arrive.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include "engine/runtime/address.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/detail/buffer_ring.h"
#include "engine/runtime/detail/op_base.h"
#include "engine/runtime/detail/timer_heap.h"
#include "proto/error.h"

namespace wsp::rt {

class reactor;

// Ownership of one received buffer without its metadata (16 bytes), for a consumer that keeps
// its own view of the bytes: the buffer goes back to the ring on release() or destruction.
// Move-only. Reactor thread only.
class recv_lease {
public:
    recv_lease() noexcept = default;
    recv_lease(recv_lease&& o) noexcept : ring_(std::exchange(o.ring_, nullptr)), bid_(o.bid_) {}
    recv_lease& operator=(recv_lease&& o) noexcept
    {
        if (this != &o) {
            release();
            ring_ = std::exchange(o.ring_, nullptr);
            bid_ = o.bid_;
        }
        return *this;
    }
    recv_lease(const recv_lease&) = delete;
    recv_lease& operator=(const recv_lease&) = delete;
    ~recv_lease() { release(); }

    // Whether a buffer is held.
    [[nodiscard]] bool holds() const noexcept { return ring_ != nullptr; }
    // Returns the buffer to the kernel now (idempotent).
    void release() noexcept
    {
        if (ring_ != nullptr) {
            ring_->give_back(bid_);
            ring_ = nullptr;
        }
    }

private:
    friend class recv_chunk;
    recv_lease(detail::buffer_ring* ring, std::uint16_t bid) noexcept : ring_(ring), bid_(bid) {}

    detail::buffer_ring* ring_ = nullptr;
    std::uint16_t bid_ = 0;
};

// One event from a recv_stream: bytes in a kernel-chosen buffer, end of stream, or an error.
// Move-only; owns the buffer until release() or destruction returns it to the ring. `bytes`
// is valid only while the chunk owns it. `stamp_ns` is the reap time of the CQE.
class recv_chunk {
public:
    enum class kind : std::uint8_t { data = 0, eof = 1, error = 2 };

    recv_chunk() noexcept = default;
    recv_chunk(recv_chunk&& o) noexcept { take(o); }
    recv_chunk& operator=(recv_chunk&& o) noexcept
    {
        if (this != &o) {
            release();
            take(o);
        }
        return *this;
    }
    recv_chunk(const recv_chunk&) = delete;
    recv_chunk& operator=(const recv_chunk&) = delete;
    ~recv_chunk() { release(); }

    [[nodiscard]] kind what() const noexcept { return kind_; }
    [[nodiscard]] bool is_data() const noexcept { return kind_ == kind::data; }
    [[nodiscard]] bool is_eof() const noexcept { return kind_ == kind::eof; }
    // errc::timeout for next(deadline) expiry, errc::cancelled after stop(), else the socket error.
    [[nodiscard]] wsp::error error() const noexcept { return error_; }
    [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return bytes_; }
    [[nodiscard]] std::int64_t stamp_ns() const noexcept { return stamp_ns_; }

    // Returns the buffer to the kernel now (idempotent).
    void release() noexcept
    {
        if (ring_ != nullptr) {
            ring_->give_back(bid_);
            ring_ = nullptr;
            bytes_ = {};
        }
    }
    // Moves the buffer's ownership into a lease: bytes() read before stay valid while the lease
    // holds it; the chunk then owns nothing (bytes() is empty). Empty lease for eof and errors.
    [[nodiscard]] recv_lease take_lease() noexcept
    {
        bytes_ = {};
        return recv_lease(std::exchange(ring_, nullptr), bid_);
    }

private:
    friend class recv_stream;
    void take(recv_chunk& o) noexcept
    {
        kind_ = o.kind_;
        error_ = o.error_;
        bytes_ = o.bytes_;
        stamp_ns_ = o.stamp_ns_;
        ring_ = std::exchange(o.ring_, nullptr);
        bid_ = o.bid_;
        o.bytes_ = {};
    }

    kind kind_ = kind::eof;
    wsp::error error_{};
    std::span<const std::byte> bytes_{};
    std::int64_t stamp_ns_ = 0;
    detail::buffer_ring* ring_ = nullptr;
    std::uint16_t bid_ = 0;
};

// Not movable: the stream's address is the multishot SQE's user_data. Completions that arrive
// while nobody waits are queued through the buffer ring's per-buffer links (bounded by the
// ring size, no heap per CQE). The armed receive is a lasting operation of the reactor, so
// reactor::cancel_all() ends it cheaply. Before destruction an armed stream must be stopped
// (`co_await s.stop()`), otherwise the destructor calls std::terminate. Reactor thread only.
class recv_stream : private detail::lasting_op, private detail::buffer_waiter {
public:
    recv_stream(reactor& r, socket s) noexcept;
    recv_stream(const recv_stream&) = delete;
    recv_stream& operator=(const recv_stream&) = delete;
    ~recv_stream();

    class next_awaiter : private detail::timer_node {
    public:
        next_awaiter(recv_stream& s, deadline d) noexcept : s_(&s) { when_ns = d.at_ns; }
        next_awaiter(const next_awaiter&) = delete;
        next_awaiter& operator=(const next_awaiter&) = delete;
        ~next_awaiter();
        [[nodiscard]] bool await_ready() noexcept;
        void await_suspend(std::coroutine_handle<> h);
        [[nodiscard]] recv_chunk await_resume() noexcept;

    private:
        static void on_fire(timer_node* self, bool cancelled) noexcept;
        recv_stream* s_;
        std::int8_t expired_ = 0; // 1 timed out, 2 timer cancelled
    };

    // Next queued event, arming the multishot receive if needed. With a deadline (reactor timer
    // heap), expiry yields an error chunk with errc::timeout; the receive stays armed and later
    // bytes are kept for the next call. After eof or an error every call returns the same.
    [[nodiscard]] next_awaiter next(deadline d = deadline::never()) noexcept { return next_awaiter(*this, d); }

    struct stop_awaiter {
        recv_stream* s_;
        [[nodiscard]] bool await_ready() noexcept;
        void await_suspend(std::coroutine_handle<> h) noexcept;
        void await_resume() const noexcept {}
    };
    // Cancels the multishot receive and completes once its final CQE has arrived; queued buffers
    // go back to the ring. A consumer blocked in next() gets errc::cancelled.
    [[nodiscard]] stop_awaiter stop() noexcept { return stop_awaiter{this}; }

    [[nodiscard]] bool armed() const noexcept { return armed_; }
    [[nodiscard]] std::size_t queued() const noexcept { return count_; }
    // How many times the receive was (re-)armed: after F_MORE cleared, after -ENOBUFS.
    [[nodiscard]] std::uint32_t arms() const noexcept { return arms_; }

private:
    static void on_cqe(op_base* self, const io_result& r) noexcept;
    static void on_buffers(buffer_waiter* self) noexcept;
    void arm() noexcept;
    void ensure_armed() noexcept;
    void enqueue(std::uint16_t bid) noexcept;
    [[nodiscard]] bool has_event() const noexcept { return count_ != 0 || terminal_; }
    [[nodiscard]] recv_chunk pop() noexcept;
    void drop_queue() noexcept;

    reactor* r_;
    std::coroutine_handle<> waiter_{};
    std::coroutine_handle<> stopper_{};
    std::int64_t terminal_stamp_ = 0;
    std::int32_t terminal_res_ = 0;
    std::uint32_t arms_ = 0;
    socket sock_;
    std::uint16_t head_ = detail::buffer_ring::no_buffer;
    std::uint16_t tail_ = detail::buffer_ring::no_buffer;
    std::uint16_t count_ = 0;
    bool armed_ = false;
    bool terminal_ = false;
    bool stopping_ = false;
};

} // namespace wsp::rt
