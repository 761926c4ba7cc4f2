#include "engine/probe/pipe.h"

#include <algorithm>
#include <cerrno>

#include "engine/runtime/errc.h"
#include "h2/error.h"
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

rt::task<rt::io_result> byte_pipe::raw_send(std::span<const std::byte> plain, rt::deadline until)
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

rt::task<pipe_read> byte_pipe::raw_recv(rt::deadline until)
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

rt::task<rt::io_result> byte_pipe::send(std::span<const std::byte> plain, rt::deadline until)
{
    if (source_ != nullptr) {
        co_return co_await source_->stream_send(stream_, plain, until);
    }
    if (h2_ == nullptr) {
        co_return co_await raw_send(plain, until);
    }
    const auto* p = reinterpret_cast<const std::uint8_t*>(plain.data());
    auto w = h2_->write(stream_, {p, plain.size()});
    if (!w) {
        co_return rt::io_result{-EPIPE, 0, rt::mono_now()};
    }
    const auto sent = co_await flush_h2(until);
    if (!sent.ok()) {
        co_return sent;
    }
    co_return rt::io_result{static_cast<std::int32_t>(plain.size()), 0, rt::mono_now()};
}

rt::task<pipe_read> byte_pipe::recv(rt::deadline until)
{
    if (source_ != nullptr) {
        co_return co_await source_->stream_recv(stream_, until, &h2_failure_);
    }
    if (h2_ == nullptr) {
        co_return co_await raw_recv(until);
    }
    co_return co_await h2_recv(until);
}

rt::task<rt::io_result> byte_pipe::flush_h2(rt::deadline until)
{
    rt::io_result last{0, 0, rt::mono_now()};
    for (;;) {
        h2_out_.clear();
        auto drained = h2_->drain_output(h2_out_);
        if (!drained) {
            co_return rt::io_result{-EPROTO, 0, rt::mono_now()};
        }
        if (*drained == 0) {
            co_return last;
        }
        last = co_await raw_send({reinterpret_cast<const std::byte*>(h2_out_.data()), h2_out_.size()}, until);
        if (!last.ok()) {
            co_return last;
        }
    }
}

rt::task<h2_read> byte_pipe::next_h2_event(rt::deadline until)
{
    std::int64_t stamp = rt::mono_now();
    for (;;) {
        auto ev = h2_->next_event();
        if (ev) {
            co_return h2_read{std::move(ev), {}, stamp};
        }
        const auto sent = co_await flush_h2(until);
        if (!sent.ok()) {
            co_return h2_read{std::nullopt, pipe_read{pipe_read::kind::error, {}, sent.error(), rt::mono_now()},
                              rt::mono_now()};
        }
        auto got = co_await raw_recv(until);
        stamp = got.stamp_ns;
        if (got.what != pipe_read::kind::data) {
            co_return h2_read{std::nullopt, got, stamp};
        }
        // RFC 9113 §5.4.1: bytes nghttp2 rejects fatally end the session.
        if (auto fed = h2_->feed(got.bytes); !fed) {
            co_return h2_read{std::nullopt, pipe_read{pipe_read::kind::error, {}, fed.error(), stamp}, stamp};
        }
    }
}

rt::task<pipe_read> byte_pipe::h2_recv(rt::deadline until)
{
    // A pipe read hands out at most 16 KiB, the frame reader's read size.
    constexpr std::size_t max_read = 16 * 1024;
    if (h2_data_pos_ < h2_data_.size()) {
        const std::size_t n = std::min(max_read, h2_data_.size() - h2_data_pos_);
        const std::span<const std::uint8_t> out(h2_data_.data() + h2_data_pos_, n);
        h2_data_pos_ += n;
        co_return pipe_read{pipe_read::kind::data, out, {}, rt::mono_now()};
    }
    for (;;) {
        auto r = co_await next_h2_event(until);
        if (!r.ev) {
            co_return r.failure;
        }
        const h2::event& ev = *r.ev;
        if (ev.kind == h2::event_kind::goaway) {
            // RFC 9113 §6.8: streams up to last_stream_id may complete after a graceful GOAWAY.
            if (ev.local || ev.error_code != h2::no_error || ev.last_stream_id < stream_) {
                h2_failure_ = ev.local ? "wsprobe ended the HTTP/2 session: the server broke the protocol (" +
                                             std::string(h2::error_code_name(ev.error_code)) + ")"
                                       : h2::describe_goaway(ev);
                co_return pipe_read{pipe_read::kind::error, {}, ev.local ? h2::errc::session_error : h2::errc::goaway,
                                    r.stamp_ns};
            }
            continue;
        }
        if (ev.stream_id != stream_) {
            continue;
        }
        if (ev.kind == h2::event_kind::data) {
            h2_data_ = std::move(r.ev->data);
            const std::size_t n = std::min(max_read, h2_data_.size());
            h2_data_pos_ = n;
            co_return pipe_read{pipe_read::kind::data, {h2_data_.data(), n}, {}, r.stamp_ns};
        }
        if (ev.kind == h2::event_kind::end_of_stream) {
            co_return pipe_read{pipe_read::kind::eof, {}, {}, r.stamp_ns};
        }
        if (ev.kind == h2::event_kind::stream_reset) {
            h2_failure_ = ev.local ? "wsprobe reset the HTTP/2 stream with " +
                                         std::string(h2::error_code_name(ev.error_code))
                                   : h2::describe_reset(ev.error_code);
            co_return pipe_read{pipe_read::kind::error, {}, h2::errc::stream_reset, r.stamp_ns};
        }
        if (ev.kind == h2::event_kind::stream_closed) {
            co_return pipe_read{pipe_read::kind::eof, {}, {}, r.stamp_ns};
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
