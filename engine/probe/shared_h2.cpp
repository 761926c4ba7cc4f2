// The shared HTTP/2 connection of multiplexed probes (detail/shared_h2.h): one reader at a time
// dispatching session events by stream id (RFC 9113 §5.1.1), one flush at a time, TLS in between.
#include "engine/probe/detail/shared_h2.h"

#include <algorithm>
#include <cerrno>

#include "engine/runtime/errc.h"
#include "h2/error.h"
#include "tls/error.h"

namespace wsp::probe::detail {
namespace {

// A stream read hands out at most 16 KiB, the frame reader's read size.
constexpr std::size_t max_read = 16 * 1024;

pipe_read timeout_read(std::int64_t now)
{
    return pipe_read{pipe_read::kind::error, {}, rt::errc::timeout, now};
}

// Suspends a probe until the reader (or a failing send) resumes it.
struct park {
    stream_slot* slot;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) const noexcept { slot->waiter = h; }
    void await_resume() const noexcept {}
};

} // namespace

shared_h2::shared_h2(rt::reactor& r, rt::socket s, rt::recv_stream& rs, tls::session* tls,
                     h2::client_session session, std::size_t probes)
    : r_(&r), sock_(s), rs_(&rs), tls_(tls), session_(std::move(session)), slots_(probes),
      by_id_(probes, nullptr)
{
}

wsp::expected<std::int32_t> shared_h2::open(stream_slot& s, const h2::connect_request& req)
{
    auto id = session_.open_websocket(req);
    if (id) {
        const auto index = static_cast<std::size_t>((*id - 1) / 2);
        if (index < by_id_.size()) {
            s.id = *id;
            by_id_[index] = &s;
        }
    }
    return id;
}

// First decrypts what arrived with the TLS handshake's last flight.
rt::task<h2_read> shared_h2::await_settings(rt::deadline until)
{
    take_bytes({}, rt::mono_now());
    sort_events(rt::mono_now());
    for (;;) {
        if (goaway_) {
            co_return h2_read{goaway_, {}, goaway_stamp_};
        }
        if (session_.peer_settings_received()) {
            co_return h2_read{h2::event{}, {}, settings_stamp_};
        }
        if (dead_) {
            co_return h2_read{std::nullopt, *dead_, dead_->stamp_ns};
        }
        if (rt::mono_now() >= until.at_ns) {
            co_return h2_read{std::nullopt, timeout_read(rt::mono_now()), rt::mono_now()};
        }
        co_await read_once(until);
    }
}

rt::task<h2_read> shared_h2::next_event(stream_slot& s, rt::deadline until)
{
    for (;;) {
        if (auto got = ready(s, until)) {
            hand_over();
            co_return std::move(*got);
        }
        if (pumping_) {
            s.until = until;
            co_await park{&s};
            continue;
        }
        co_await read_once(until);
    }
}

rt::task<rt::io_result> shared_h2::flush(rt::deadline until)
{
    rt::io_result last{0, 0, rt::mono_now()};
    if (flushing_ || dead_) {
        last.res = dead_ ? -EPIPE : 0;
        co_return last;
    }
    flushing_ = true;
    for (;;) {
        out_.clear();
        auto drained = session_.drain_output(out_);
        if (!drained || (tls_ != nullptr && !encrypt())) {
            last = rt::io_result{-EPROTO, 0, rt::mono_now()};
            break;
        }
        const std::span<const std::byte> wire =
            tls_ != nullptr
                ? std::span<const std::byte>(tls_out_)
                : std::span<const std::byte>(reinterpret_cast<const std::byte*>(out_.data()), out_.size());
        if (wire.empty()) {
            break;
        }
        last = co_await rt::send_all_op(*r_, sock_, wire, until);
        if (!last.ok()) {
            break;
        }
    }
    flushing_ = false;
    if (!last.ok()) {
        end_transport(pipe_read{pipe_read::kind::error, {}, last.error(), last.stamp_ns});
    }
    co_return last;
}

rt::task<rt::io_result> shared_h2::stream_send(std::int32_t stream_id, std::span<const std::byte> plain,
                                               rt::deadline until)
{
    const auto* p = reinterpret_cast<const std::uint8_t*>(plain.data());
    if (dead_ || !session_.write(stream_id, {p, plain.size()})) {
        co_return rt::io_result{-EPIPE, 0, rt::mono_now()};
    }
    const rt::io_result sent = co_await flush(until);
    if (!sent.ok()) {
        co_return sent;
    }
    co_return rt::io_result{static_cast<std::int32_t>(plain.size()), 0, rt::mono_now()};
}

void shared_h2::finish(stream_slot& s, bool peer_ended)
{
    if (s.id != 0 && !dead_) {
        (void)(peer_ended ? session_.end_stream(s.id) : session_.reset_stream(s.id, h2::cancel));
    }
    s.inbox.clear();
    s.data = {};
}

rt::task<void> shared_h2::shut(rt::deadline until)
{
    if (dead_) {
        co_return;
    }
    (void)session_.send_goaway(h2::no_error);
    if (tls_ != nullptr && tls_->handshake_done()) {
        (void)tls_->shutdown();
    }
    (void)co_await flush(until);
}

stream_slot* shared_h2::find(std::int32_t id) const noexcept
{
    if (id <= 0 || (id & 1) == 0) {
        return nullptr;
    }
    const auto index = static_cast<std::size_t>((id - 1) / 2);
    return index < by_id_.size() ? by_id_[index] : nullptr;
}

// What `s` can be given now without reading: an event, the connection's end, or a timeout.
std::optional<h2_read> shared_h2::ready(stream_slot& s, rt::deadline until)
{
    if (!s.inbox.empty()) {
        stamped_event e = std::move(s.inbox.front());
        s.inbox.pop_front();
        return h2_read{std::move(e.ev), {}, e.stamp_ns};
    }
    if (dead_) {
        return h2_read{std::nullopt, *dead_, dead_->stamp_ns};
    }
    const std::int64_t now = rt::mono_now();
    if (now >= until.at_ns) {
        return h2_read{std::nullopt, timeout_read(now), now};
    }
    return std::nullopt;
}

// One receive for everyone: feed, sort, resume the parked probes that have something, send
// what the session answers (SETTINGS and PING ACKs, WINDOW_UPDATE).
rt::task<void> shared_h2::read_once(rt::deadline until)
{
    pumping_ = true;
    rt::deadline d{std::min(until.at_ns, rt::mono_now() + reader_slice_ns)};
    for (const auto& s : slots_) {
        if (s.waiter) {
            d.at_ns = std::min(d.at_ns, s.until.at_ns);
        }
    }
    rt::recv_chunk chunk = co_await rs_->next(d);
    const std::int64_t stamp = chunk.stamp_ns();
    if (chunk.is_data()) {
        take_bytes(chunk.bytes(), stamp);
    } else if (chunk.is_eof()) {
        end_transport(pipe_read{pipe_read::kind::eof, {}, {}, stamp});
    } else if (chunk.error() != rt::errc::timeout) {
        end_transport(pipe_read{pipe_read::kind::error, {}, chunk.error(), stamp});
    }
    chunk.release();
    pumping_ = false;
    sort_events(stamp);
    const std::int64_t now = rt::mono_now();
    for (auto& s : slots_) {
        if (s.waiter && (!s.inbox.empty() || dead_ || now >= s.until.at_ns)) {
            std::exchange(s.waiter, {}).resume();
        }
    }
    (void)co_await flush(until);
}

// A probe leaves with its event: if nobody reads, a parked probe takes over.
void shared_h2::hand_over()
{
    if (pumping_) {
        return;
    }
    for (auto& s : slots_) {
        if (s.waiter) {
            std::exchange(s.waiter, {}).resume();
            return;
        }
    }
}

// Received transport bytes into the session (through TLS for wss).
void shared_h2::take_bytes(std::span<const std::byte> bytes, std::int64_t stamp)
{
    if (tls_ == nullptr) {
        feed_session({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, stamp);
        return;
    }
    if (!bytes.empty()) {
        if (auto fed = tls_->feed(bytes); !fed) {
            end_transport(pipe_read{pipe_read::kind::error, {}, fed.error(), stamp});
            return;
        }
    }
    while (!dead_) {
        auto r = tls_->read_plain(plain_);
        if (!r) {
            // As byte_pipe: a TLS peer that drops TCP without close_notify reads as eof.
            end_transport(r.error() == tls::errc::truncated
                              ? pipe_read{pipe_read::kind::eof, {}, {}, stamp}
                              : pipe_read{pipe_read::kind::error, {}, r.error(), stamp});
            return;
        }
        if (r->bytes == 0) {
            if (r->state == tls::status::closed) {
                end_transport(pipe_read{pipe_read::kind::eof, {}, {}, stamp});
            }
            return;
        }
        feed_session({reinterpret_cast<const std::uint8_t*>(plain_.data()), r->bytes}, stamp);
    }
}

void shared_h2::feed_session(std::span<const std::uint8_t> bytes, std::int64_t stamp)
{
    // RFC 9113 §5.4.1: bytes nghttp2 rejects fatally end the session.
    if (auto fed = session_.feed(bytes); !fed) {
        end_transport(pipe_read{pipe_read::kind::error, {}, fed.error(), stamp});
    }
}

// Session events into the inboxes; a GOAWAY goes to every stream (each judges it by its id).
void shared_h2::sort_events(std::int64_t stamp)
{
    while (auto ev = session_.next_event()) {
        if (ev->kind == h2::event_kind::goaway) {
            goaway_ = *ev;
            goaway_stamp_ = stamp;
            for (auto& s : slots_) {
                if (s.id != 0) {
                    s.inbox.push_back({*ev, stamp});
                }
            }
        } else if (ev->kind == h2::event_kind::settings) {
            settings_stamp_ = stamp;
        } else if (stream_slot* s = find(ev->stream_id)) {
            s->inbox.push_back({std::move(*ev), stamp});
        }
    }
}

// The session's output through TLS into tls_out_ (with any records TLS queued on its own).
bool shared_h2::encrypt()
{
    tls_out_.clear();
    std::size_t done = 0;
    for (;;) {
        const auto pending = tls_->pending_output();
        tls_out_.insert(tls_out_.end(), pending.begin(), pending.end());
        tls_->consume_output(pending.size());
        if (done == out_.size()) {
            return true;
        }
        auto w =
            tls_->write_plain({reinterpret_cast<const std::byte*>(out_.data()) + done, out_.size() - done});
        if (!w || (w->bytes == 0 && w->state == tls::status::want_input)) {
            return false; // renegotiation is refused, as in byte_pipe
        }
        done += w->bytes;
    }
}

// The connection is over. Parked probes learn it now, or from the reader when it returns.
void shared_h2::end_transport(pipe_read why)
{
    if (!dead_) {
        dead_ = why;
    }
    for (auto& s : slots_) {
        if (s.waiter && !pumping_) {
            std::exchange(s.waiter, {}).resume();
        }
    }
}
rt::task<pipe_read> shared_h2::stream_recv(std::int32_t stream_id, rt::deadline until,
                                           std::string* failure_text)
{
    stream_slot* s = find(stream_id);
    if (s == nullptr) {
        co_return pipe_read{pipe_read::kind::error, {}, h2::errc::unknown_stream, rt::mono_now()};
    }
    if (s->data_pos < s->data.size()) {
        const std::size_t n = std::min(max_read, s->data.size() - s->data_pos);
        const std::span<const std::uint8_t> out(s->data.data() + s->data_pos, n);
        s->data_pos += n;
        co_return pipe_read{pipe_read::kind::data, out, {}, rt::mono_now()};
    }
    if (s->ended) {
        co_return pipe_read{pipe_read::kind::eof, {}, {}, rt::mono_now()};
    }
    for (;;) {
        auto r = co_await next_event(*s, until);
        if (!r.ev) {
            s->ended = r.failure.what == pipe_read::kind::eof;
            co_return r.failure;
        }
        h2::event& ev = *r.ev;
        switch (ev.kind) {
        case h2::event_kind::goaway:
            // RFC 9113 §6.8: streams up to last_stream_id may complete after a graceful GOAWAY.
            if (ev.local || ev.error_code != h2::no_error || ev.last_stream_id < stream_id) {
                *failure_text = ev.local
                                    ? "wsprobe ended the HTTP/2 session: the server broke the protocol (" +
                                          std::string(h2::error_code_name(ev.error_code)) + ")"
                                    : h2::describe_goaway(ev);
                co_return pipe_read{pipe_read::kind::error,
                                    {},
                                    ev.local ? h2::errc::session_error : h2::errc::goaway,
                                    r.stamp_ns};
            }
            break;
        case h2::event_kind::data: {
            s->data = std::move(ev.data);
            const std::size_t n = std::min(max_read, s->data.size());
            s->data_pos = n;
            co_return pipe_read{pipe_read::kind::data, {s->data.data(), n}, {}, r.stamp_ns};
        }
        case h2::event_kind::end_of_stream:
        case h2::event_kind::stream_closed:
            s->ended = true;
            co_return pipe_read{pipe_read::kind::eof, {}, {}, r.stamp_ns};
        case h2::event_kind::stream_reset:
            *failure_text = ev.local ? "wsprobe reset the HTTP/2 stream with " +
                                           std::string(h2::error_code_name(ev.error_code))
                                     : h2::describe_reset(ev.error_code);
            co_return pipe_read{pipe_read::kind::error, {}, h2::errc::stream_reset, r.stamp_ns};
        case h2::event_kind::settings:
        case h2::event_kind::headers:
            break; // trailers carry nothing for the WebSocket
        }
    }
}

} // namespace wsp::probe::detail
