// The byte pipe a lab connection talks through: plain TCP on an io_uring direct descriptor; the
// TLS pipe (tls_pipe.h: tls/session.h pumped over a tcp_pipe) satisfies the same shape, and the
// connection logic (session.h), written against `byte_pipe`, does not change.
#pragma once

#include <concepts>
#include <cstdint>
#include <span>
#include <utility>

#include "engine/runtime/clock.h"
#include "engine/runtime/ops.h"
#include "engine/runtime/reactor.h"
#include "engine/runtime/recv_stream.h"
#include "engine/runtime/socket.h"
#include "engine/runtime/task.h"
#include "proto/error.h"

namespace wsp::lab {

// What a pipe must offer the connection logic. `recv(d)` is awaitable and yields a chunk with
// is_data(), is_eof(), error() (errc::timeout when `d` passed, errc::cancelled on shutdown) and
// bytes(), a mutable view the decoder may unmask in place, valid while the chunk lives. `send`
// is awaitable, sends every byte (the data must stay valid until it completes) and yields an
// io_result. shutdown_send() half-closes (FIN), stop_receiving() ends reading for good, close()
// releases the connection (the pipe is unusable afterwards).
template <class P>
concept byte_pipe = requires(P& p, rt::deadline d, std::span<const std::uint8_t> b, rt::close_mode m) {
    { p.owner() } -> std::same_as<rt::reactor&>;
    p.recv(d);
    p.send(b, d);
    { p.shutdown_send() } -> std::same_as<rt::task<void>>;
    { p.stop_receiving() } -> std::same_as<rt::task<void>>;
    { p.close(m) } -> std::same_as<rt::task<void>>;
};

// A TCP connection accepted into the reactor's direct-descriptor table. Receives are one
// multishot recv over the provided buffer ring (an idle pipe holds no receive buffer). Not
// movable (the stream is the SQE's user_data); lives in its connection's coroutine frame.
// Reactor thread only.
class tcp_pipe {
public:
    tcp_pipe(rt::reactor& r, rt::socket s) noexcept : r_(&r), sock_(s), stream_(r, s) {}
    tcp_pipe(const tcp_pipe&) = delete;
    tcp_pipe& operator=(const tcp_pipe&) = delete;
    ~tcp_pipe() = default; // close() first: the stream must not be armed

    // One receive event; owns a provided buffer until released or destroyed.
    class chunk {
    public:
        explicit chunk(rt::recv_chunk c) noexcept : c_(std::move(c)) {}
        [[nodiscard]] bool is_data() const noexcept { return c_.is_data(); }
        [[nodiscard]] bool is_eof() const noexcept { return c_.is_eof(); }
        [[nodiscard]] wsp::error error() const noexcept { return c_.error(); }
        // The provided buffer belongs to user space until it is given back, so handing it out
        // writable (for in-place unmasking) cannot race with the kernel.
        [[nodiscard]] std::span<std::uint8_t> bytes() const noexcept
        {
            const auto b = c_.bytes();
            return {reinterpret_cast<std::uint8_t*>(const_cast<std::byte*>(b.data())), b.size()};
        }
        void release() noexcept { c_.release(); }

    private:
        rt::recv_chunk c_;
    };

    class recv_awaiter {
    public:
        recv_awaiter(rt::recv_stream& s, rt::deadline d) noexcept : inner_(s.next(d)) {}
        [[nodiscard]] bool await_ready() noexcept { return inner_.await_ready(); }
        void await_suspend(std::coroutine_handle<> h) { inner_.await_suspend(h); }
        [[nodiscard]] chunk await_resume() noexcept { return chunk(inner_.await_resume()); }

    private:
        rt::recv_stream::next_awaiter inner_;
    };

    [[nodiscard]] rt::reactor& owner() const noexcept { return *r_; }
    [[nodiscard]] rt::socket socket() const noexcept { return sock_; }

    // Next received bytes, EOF, or an error; expiry of `d` yields errc::timeout and keeps later
    // bytes for the next call.
    [[nodiscard]] recv_awaiter recv(rt::deadline d) noexcept { return recv_awaiter(stream_, d); }

    // Sends all of `data` (MSG_NOSIGNAL); res = bytes or -errno, -ETIME when `d` passed.
    [[nodiscard]] rt::send_all_op send(std::span<const std::uint8_t> data, rt::deadline d) noexcept
    {
        return rt::send_all_op(*r_, sock_, std::as_bytes(data), d);
    }

    // TCP_NODELAY: replies are small frames that must not wait for the peer's delayed ACK.
    [[nodiscard]] rt::task<void> configure();
    // SHUT_WR: the peer reads EOF after the bytes already sent.
    [[nodiscard]] rt::task<void> shutdown_send();
    // Cancels the multishot receive; bytes that arrive later stay in the socket, unread.
    [[nodiscard]] rt::task<void> stop_receiving();
    // Stops receiving and closes the descriptor: FIN (graceful; RST if unread bytes remain, as
    // the kernel does) or RST (abort: SO_LINGER {1, 0}).
    [[nodiscard]] rt::task<void> close(rt::close_mode mode);

private:
    rt::reactor* r_;
    rt::socket sock_;
    rt::recv_stream stream_;
};

static_assert(byte_pipe<tcp_pipe>);

} // namespace wsp::lab
