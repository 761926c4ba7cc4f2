#include "engine/probe/pipe.h"

#include <cerrno>

#include "engine/runtime/errc.h"
#include "tls/error.h"

namespace wsp::probe {

rt::task<rt::io_result> byte_pipe::flush(rt::deadline until)
{
    rt::io_result last{0, 0, rt::mono_now()};
    while (tls_ != nullptr && !tls_->pending_output().empty()) {
        const auto out = tls_->pending_output();
        last = co_await rt::send_all_op(*r_, sock_, out, until);
        if (!last.ok()) {
            co_return last;
        }
        tls_->consume_output(out.size());
    }
    co_return last;
}

rt::task<wsp::expected<void>> byte_pipe::start_tls(tls::session* session, rt::deadline until, std::int64_t* done_ns)
{
    tls_ = session;
    *done_ns = rt::mono_now();
    for (;;) {
        auto step = tls_->handshake();
        const auto sent = co_await flush(until);
        if (!step) {
            co_return wsp::unexpected(step.error());
        }
        if (!sent.ok()) {
            co_return wsp::unexpected(sent.error());
        }
        if (*step == tls::status::done) {
            co_return wsp::expected<void>{};
        }
        auto chunk = co_await rs_->next(until);
        *done_ns = chunk.stamp_ns();
        if (chunk.is_data()) {
            if (auto fed = tls_->feed(chunk.bytes()); !fed) {
                co_return wsp::unexpected(fed.error());
            }
        } else if (chunk.is_eof()) {
            tls_->feed_eof();
        } else {
            co_return wsp::unexpected(chunk.error());
        }
    }
}

rt::task<rt::io_result> byte_pipe::send(std::span<const std::byte> plain, rt::deadline until)
{
    if (tls_ == nullptr) {
        co_return co_await rt::send_all_op(*r_, sock_, plain, until);
    }
    std::size_t done = 0;
    while (done < plain.size()) {
        auto w = tls_->write_plain(plain.subspan(done));
        if (!w) {
            co_return rt::io_result{-EPROTO, 0, rt::mono_now()};
        }
        done += w->bytes;
        const auto sent = co_await flush(until);
        if (!sent.ok()) {
            co_return sent;
        }
        if (w->state == tls::status::want_input && w->bytes == 0) {
            co_return rt::io_result{-EPROTO, 0, rt::mono_now()}; // renegotiation is refused
        }
    }
    co_return rt::io_result{static_cast<std::int32_t>(done), 0, rt::mono_now()};
}

rt::task<pipe_read> byte_pipe::recv(rt::deadline until)
{
    chunk_.release();
    if (tls_ == nullptr) {
        chunk_ = co_await rs_->next(until);
        pipe_read out;
        out.stamp_ns = chunk_.stamp_ns();
        if (chunk_.is_data()) {
            out.what = pipe_read::kind::data;
            out.bytes = {reinterpret_cast<const std::uint8_t*>(chunk_.bytes().data()), chunk_.bytes().size()};
        } else if (chunk_.is_eof()) {
            out.what = pipe_read::kind::eof;
        } else {
            out.what = pipe_read::kind::error;
            out.error = chunk_.error();
        }
        co_return out;
    }
    std::int64_t stamp = rt::mono_now();
    for (;;) {
        auto r = tls_->read_plain(plain_);
        (void)co_await flush(until); // KeyUpdate answers, alerts
        if (!r) {
            if (r.error() == tls::errc::truncated) {
                co_return pipe_read{pipe_read::kind::eof, {}, {}, stamp};
            }
            co_return pipe_read{pipe_read::kind::error, {}, r.error(), stamp};
        }
        if (r->bytes > 0) {
            co_return pipe_read{pipe_read::kind::data,
                                {reinterpret_cast<const std::uint8_t*>(plain_.data()), r->bytes}, {}, stamp};
        }
        if (r->state == tls::status::closed) {
            co_return pipe_read{pipe_read::kind::eof, {}, {}, stamp};
        }
        auto chunk = co_await rs_->next(until);
        stamp = chunk.stamp_ns();
        if (chunk.is_data()) {
            if (auto fed = tls_->feed(chunk.bytes()); !fed) {
                co_return pipe_read{pipe_read::kind::error, {}, fed.error(), stamp};
            }
        } else if (chunk.is_eof()) {
            tls_->feed_eof();
        } else {
            co_return pipe_read{pipe_read::kind::error, {}, chunk.error(), stamp};
        }
    }
}

const std::string& byte_pipe::tls_failure_text() const noexcept
{
    static const std::string none;
    return tls_ != nullptr ? tls_->failure_text() : none;
}

rt::task<void> byte_pipe::send_close_notify(rt::deadline until)
{
    if (tls_ != nullptr) {
        (void)tls_->shutdown();
        (void)co_await flush(until);
    }
}

} // namespace wsp::probe
