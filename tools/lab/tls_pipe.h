// The lab's wss:// byte pipe: a server-side TLS session (RFC 8446, RFC 5246; tls/session.h) pumped
// over a tcp_pipe, so serve_connection (session.h) runs every scenario over TLS unchanged.
#pragma once

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "engine/runtime/clock.h"
#include "engine/runtime/reactor.h"
#include "engine/runtime/socket.h"
#include "engine/runtime/task.h"
#include "proto/error.h"
#include "tls/context.h"
#include "tls/session.h"
#include "tools/lab/buffer_pool.h"
#include "tools/lab/pipe.h"
#include "tools/lab/session.h"

namespace wsp::lab {

// A TLS connection over a TCP connection accepted into the reactor's direct-descriptor table.
// handshake() must succeed before recv/send. Memory per connection: the OpenSSL session (with
// SSL_MODE_RELEASE_BUFFERS, no record buffers while idle), its two memory BIOs (the output one
// bounded by `output_limit`), and a plaintext buffer borrowed from the pool only while a received
// chunk is alive. Not movable (the TCP stream is the SQE's user_data); lives in its connection's
// coroutine frame. Reactor thread only.
class tls_pipe {
public:
    // Ciphertext queued for the socket before write_plain waits for a flush: one full record.
    static constexpr std::size_t output_limit = 17 * 1024;
    // Plaintext per received chunk: RFC 8446 §5.1's largest record.
    static constexpr std::size_t plain_chunk = 16 * 1024;

    // `ctx` (a server context) must outlive the pipe; `close_notify_timeout` bounds the sends of
    // close_notify during shutdown_send() and close().
    tls_pipe(rt::reactor& r, rt::socket s, const tls::context& ctx, buffer_pool& pool,
             std::chrono::milliseconds close_notify_timeout) noexcept
        : tcp_(r, s), ctx_(&ctx), pool_(&pool), close_notify_timeout_(close_notify_timeout)
    {
    }
    tls_pipe(const tls_pipe&) = delete;
    tls_pipe& operator=(const tls_pipe&) = delete;
    ~tls_pipe() = default; // close() first: the stream must not be armed

    // Decrypted bytes, the end of the stream, or an error. Owns its plaintext buffer (from the
    // pool) until released or destroyed; bytes() is writable for in-place unmasking.
    class chunk {
    public:
        enum class kind : std::uint8_t { data = 0, eof = 1, error = 2 };

        [[nodiscard]] static chunk data(pooled_buffer b) noexcept
        {
            return chunk(kind::data, {}, std::move(b));
        }
        [[nodiscard]] static chunk eof() noexcept { return chunk(kind::eof, {}, {}); }
        [[nodiscard]] static chunk failure(wsp::error e) noexcept { return chunk(kind::error, e, {}); }

        [[nodiscard]] bool is_data() const noexcept { return kind_ == kind::data; }
        [[nodiscard]] bool is_eof() const noexcept { return kind_ == kind::eof; }
        // rt::errc::timeout when the deadline passed, a tls::errc for a broken record or alert,
        // or the socket's error.
        [[nodiscard]] wsp::error error() const noexcept { return error_; }
        [[nodiscard]] std::span<std::uint8_t> bytes() noexcept { return buf_.bytes(); }
        void release() noexcept { buf_.release(); }

    private:
        chunk(kind k, wsp::error e, pooled_buffer b) noexcept : kind_(k), error_(e), buf_(std::move(b)) {}
        kind kind_ = kind::eof;
        wsp::error error_{};
        pooled_buffer buf_;
    };

    // Awaitable for recv(): runs the receive coroutine, which may feed several TCP chunks before
    // a whole record decrypts.
    class recv_awaiter {
    public:
        explicit recv_awaiter(rt::task<chunk> t) noexcept
            : task_(std::move(t)), inner_(std::move(task_).operator co_await())
        {
        }
        [[nodiscard]] bool await_ready() const noexcept { return false; }
        std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) noexcept
        {
            return inner_.await_suspend(h);
        }
        [[nodiscard]] chunk await_resume() { return inner_.await_resume(); }

    private:
        rt::task<chunk> task_;
        rt::task<chunk>::awaiter inner_;
    };

    [[nodiscard]] rt::reactor& owner() const noexcept { return tcp_.owner(); }
    [[nodiscard]] rt::socket socket() const noexcept { return tcp_.socket(); }

    // TCP_NODELAY (see tcp_pipe::configure).
    [[nodiscard]] rt::task<void> configure() { return tcp_.configure(); }

    // Runs the server handshake until done, a failure, or `d`. A failed handshake's alert has
    // been sent when this returns. Errors: the tls errc (failure_text() has the sentence), or the
    // transport's rt errc (timeout, connection_reset, ...).
    [[nodiscard]] rt::task<wsp::expected<void>> handshake(rt::deadline d);

    // Next plaintext bytes; a close_notify or a TCP EOF (with or without close_notify: RFC 8446
    // §6.1 truncation reads like a plain TCP drop) is eof, and sending stays possible after it.
    // Expiry of `d` yields rt::errc::timeout and keeps partial records for the next call.
    [[nodiscard]] recv_awaiter recv(rt::deadline d) { return recv_awaiter(receive(d)); }

    // Encrypts and sends all of `data`; res = bytes, or -errno (-ETIME when `d` passed, -EPROTO
    // when the session cannot encrypt).
    [[nodiscard]] rt::task<rt::io_result> send(std::span<const std::uint8_t> data, rt::deadline d);

    // close_notify (RFC 8446 §6.1, once), then SHUT_WR.
    [[nodiscard]] rt::task<void> shutdown_send();
    [[nodiscard]] rt::task<void> stop_receiving() { return tcp_.stop_receiving(); }
    // Graceful: close_notify unless already sent or the handshake never finished, then FIN.
    // Abort: RST, no close_notify.
    [[nodiscard]] rt::task<void> close(rt::close_mode mode);

    // Reads and drops ciphertext until the peer's FIN, an error or `d`: after a failed
    // handshake, so the client's late bytes do not turn the close into a RST.
    [[nodiscard]] rt::task<void> drain(rt::deadline d);

    // The session's failure sentence ("" before a failure or without a session).
    [[nodiscard]] std::string failure_text() const;

private:
    [[nodiscard]] rt::task<chunk> receive(rt::deadline d);
    // Sends every pending ciphertext byte.
    [[nodiscard]] rt::task<rt::io_result> flush(rt::deadline d);
    [[nodiscard]] rt::task<void> send_close_notify();

    tcp_pipe tcp_;
    const tls::context* ctx_;
    buffer_pool* pool_;
    std::chrono::milliseconds close_notify_timeout_;
    std::optional<tls::session> session_;
    bool eof_ = false;
    bool close_sent_ = false;
};

static_assert(byte_pipe<tls_pipe>);

extern template rt::task<void> serve_connection<tls_pipe>(session_env* env, tls_pipe* pipe);

} // namespace wsp::lab
