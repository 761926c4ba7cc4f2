// tls_pipe: the server handshake, record decryption into pooled plaintext buffers, encryption in
// record-sized slices, and close_notify (RFC 8446 §6.1) over the lab's tcp_pipe.
// Each co_await is a statement of its own (g++ 12 miscompiled `if (co_await ...)`).
#include "tools/lab/tls_pipe.h"

#include <cerrno>

#include "engine/runtime/ops.h"
#include "tls/error.h"

namespace wsp::lab {

rt::task<rt::io_result> tls_pipe::flush(rt::deadline d)
{
    rt::io_result last{0, 0, 0};
    while (session_ && !session_->pending_output().empty()) {
        // The view stays valid while the send runs: nothing else touches the session meanwhile
        // (one coroutine per connection).
        const auto out = session_->pending_output();
        const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(out.data()),
                                                  out.size());
        last = co_await tcp_.send(bytes, d);
        if (!last.ok()) {
            co_return last;
        }
        session_->consume_output(out.size());
    }
    co_return last;
}

rt::task<wsp::expected<void>> tls_pipe::handshake(rt::deadline d)
{
    auto s = tls::session::server(*ctx_);
    if (!s) {
        co_return wsp::unexpected(s.error());
    }
    session_.emplace(std::move(*s));
    session_->set_output_limit(output_limit);
    for (;;) {
        const auto step = session_->handshake();
        // Handshake flights, and on failure the alert that tells the client why.
        const rt::io_result sent = co_await flush(d);
        if (!step) {
            co_return wsp::unexpected(step.error());
        }
        if (!sent.ok()) {
            co_return wsp::unexpected(sent.error());
        }
        if (*step == tls::status::done) {
            co_return wsp::expected<void>{};
        }
        if (*step == tls::status::want_output) {
            continue;
        }
        auto c = co_await tcp_.recv(d);
        if (c.is_data()) {
            const auto fed = session_->feed(std::as_bytes(c.bytes()));
            c.release();
            if (!fed) {
                co_return wsp::unexpected(fed.error());
            }
        } else if (c.is_eof()) {
            // A step after feed_eof() reports peer_closed_during_handshake.
            session_->feed_eof();
        } else {
            co_return wsp::unexpected(c.error());
        }
    }
}

rt::task<tls_pipe::chunk> tls_pipe::receive(rt::deadline d)
{
    if (!session_ || !session_->handshake_done()) {
        co_return chunk::failure(wsp::error(tls::errc::bad_state));
    }
    for (;;) {
        // The plaintext buffer is borrowed only around the read, never across the wait below,
        // so an idle connection holds none.
        pooled_buffer plain = pool_->take();
        plain.bytes().resize(plain_chunk);
        const auto r = session_->read_plain(std::as_writable_bytes(std::span(plain.bytes())));
        // Replies OpenSSL queued while reading (TLS 1.3 KeyUpdate, alerts) go out first.
        const rt::io_result sent = co_await flush(d);
        if (!r) {
            co_return chunk::failure(r.error());
        }
        if (!sent.ok()) {
            co_return chunk::failure(sent.error());
        }
        if (r->bytes > 0) {
            plain.bytes().resize(r->bytes);
            co_return chunk::data(std::move(plain));
        }
        plain.release();
        if (r->state == tls::status::closed || eof_) {
            co_return chunk::eof();
        }
        if (r->state == tls::status::want_output) {
            continue;
        }
        auto c = co_await tcp_.recv(d);
        if (c.is_data()) {
            const auto fed = session_->feed(std::as_bytes(c.bytes()));
            c.release();
            if (!fed) {
                co_return chunk::failure(fed.error());
            }
        } else if (c.is_eof()) {
            // Not passed on with feed_eof(): OpenSSL would fail the session as truncated, and the
            // lab must still send after the peer's FIN or its own SHUT_RD on shutdown (close
            // 1001, close_notify). Records already fed are drained first; a partial one is dropped.
            eof_ = true;
        } else {
            co_return chunk::failure(c.error());
        }
    }
}

rt::task<rt::io_result> tls_pipe::send(std::span<const std::uint8_t> data, rt::deadline d)
{
    if (!session_ || !session_->handshake_done()) {
        co_return rt::io_result{-EPROTO, 0, rt::mono_now()};
    }
    std::size_t done = 0;
    while (done < data.size()) {
        const auto w = session_->write_plain(std::as_bytes(data.subspan(done)));
        if (!w) {
            co_return rt::io_result{-EPROTO, 0, rt::mono_now()};
        }
        done += w->bytes;
        const rt::io_result sent = co_await flush(d);
        if (!sent.ok()) {
            co_return sent;
        }
        // WANT_READ with nothing written would need a renegotiation, which the contexts refuse.
        if (w->state == tls::status::want_input && w->bytes == 0) {
            co_return rt::io_result{-EPROTO, 0, rt::mono_now()};
        }
    }
    co_return rt::io_result{static_cast<std::int32_t>(done), 0, rt::mono_now()};
}

rt::task<void> tls_pipe::send_close_notify()
{
    if (close_sent_ || !session_ || !session_->handshake_done()) {
        co_return;
    }
    close_sent_ = true;
    // RFC 8446 §6.1: close_notify says no more data follows; the peer's answer is not awaited.
    (void)session_->shutdown();
    (void)co_await flush(rt::deadline::after(close_notify_timeout_));
}

rt::task<void> tls_pipe::shutdown_send()
{
    co_await send_close_notify();
    co_await tcp_.shutdown_send();
}

rt::task<void> tls_pipe::close(rt::close_mode mode)
{
    if (mode == rt::close_mode::graceful) {
        co_await send_close_notify();
    }
    co_await tcp_.close(mode);
}

rt::task<void> tls_pipe::drain(rt::deadline d)
{
    for (;;) {
        auto c = co_await tcp_.recv(d);
        if (!c.is_data()) {
            break;
        }
    }
}

std::string tls_pipe::failure_text() const
{
    return session_ ? session_->failure_text() : std::string();
}

} // namespace wsp::lab
