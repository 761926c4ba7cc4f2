// TCP client sockets on io_uring direct descriptors: connect with options and a deadline, send
// all bytes, close (graceful or abortive), and a plain listening socket for the lab server.
#pragma once

#include <coroutine>
#include <cstdint>
#include <optional>
#include <span>

#include "engine/runtime/address.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/detail/op_base.h"
#include "engine/runtime/detail/timer_heap.h"
#include "engine/runtime/reactor.h"
#include "engine/runtime/task.h"
#include "proto/error.h"

namespace wsp::rt {

struct connect_options {
    std::optional<address> source; // local address to bind first (port 0: kernel picks at connect)
    bool no_delay = true;          // TCP_NODELAY: frames are small and latency-sensitive
    deadline until = deadline::never(); // bounds the connect (linked timeout); expiry is errc::timeout
};

struct connected {
    socket sock;
    std::int64_t start_ns = 0; // just before the connect SQE was queued
    std::int64_t done_ns = 0;  // reap time of the connect CQE
};

// Opens a TCP socket in `r`'s direct-descriptor table, applies `opt` and connects to `to`.
// Errors: errc::fd_table_full when the table has no free slot (place the work on another reactor
// or retry later), errc::timeout when `opt.until` passed, errc::connection_refused, ... On error
// the slot is already closed. Source binding uses IORING_OP_BIND when the kernel has it (6.11+),
// otherwise a plain socket configured with syscalls and installed into the table. With a source
// port of 0, IP_BIND_ADDRESS_NO_PORT defers port choice to connect so the 4-tuple, not the
// local port alone, has to be unique.
[[nodiscard]] task<wsp::expected<connected>> connect_tcp(reactor& r, address to, connect_options opt);

// Close behaviour. Tens of thousands of short checks must not exhaust ephemeral ports: whoever
// closes first keeps the 4-tuple in TIME_WAIT for 60 s. A WebSocket client should therefore close
// after the server (RFC 6455 §7.1.1: the server closes the TCP connection first; wait for EOF,
// then close: `graceful`, TIME_WAIT stays on the server). When the peer did not close in time,
// or the check failed mid-way, use `abort`: SO_LINGER {1, 0} then close sends RST and leaves no
// TIME_WAIT behind on this side.
enum class close_mode : std::uint8_t { graceful = 0, abort = 1 };

// Closes `s` and frees its slot. The result carries the close CQE (res 0 or -errno).
[[nodiscard]] task<io_result> close_socket(reactor& r, socket s, close_mode mode);

// Sends every byte of `data` (re-submitting after short sends) with MSG_NOSIGNAL. Result: res =
// total bytes or -errno (-ETIME when `until` expired: errc::timeout), stamp = reap time of the
// last send. `data` must stay valid until completion. Not movable once awaited.
class send_all_op : private detail::op_base, private detail::timer_node {
public:
    send_all_op(reactor& r, socket s, std::span<const std::byte> data, deadline until = deadline::never()) noexcept;
    send_all_op(const send_all_op&) = delete;
    send_all_op& operator=(const send_all_op&) = delete;
    ~send_all_op();
    [[nodiscard]] bool await_ready() const noexcept { return data_.empty(); }
    void await_suspend(std::coroutine_handle<> h);
    [[nodiscard]] io_result await_resume() const noexcept { return result_; }

private:
    static void on_cqe(op_base* self, const io_result& r) noexcept;
    static void on_fire(timer_node* self, bool cancelled) noexcept;
    void submit() noexcept;

    reactor* r_;
    std::coroutine_handle<> waiter_{};
    std::span<const std::byte> data_;
    std::size_t sent_ = 0;
    io_result result_{};
    socket sock_;
    bool timed_out_ = false;
};

// A plain listening socket (SO_REUSEADDR, bind, listen) for the lab server, created at setup
// with ordinary syscalls. Accept from it with acceptor (multishot, direct descriptors).
// Move-only; closes the fd on destruction.
class listener {
public:
    // backlog is clamped by net.core.somaxconn. Port 0 picks a free port (see local()).
    [[nodiscard]] static wsp::expected<listener> open(const address& local, int backlog = 4096);
    listener(listener&& o) noexcept;
    listener& operator=(listener&& o) noexcept;
    listener(const listener&) = delete;
    listener& operator=(const listener&) = delete;
    ~listener();

    [[nodiscard]] int fd() const noexcept { return fd_; }
    // The bound address with the actual port.
    [[nodiscard]] const address& local() const noexcept { return local_; }

private:
    listener(int fd, address local) noexcept : fd_(fd), local_(local) {}
    int fd_ = -1;
    address local_;
};

} // namespace wsp::rt
