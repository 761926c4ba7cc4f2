// Many WebSocket probes as RFC 8441 streams on one HTTP/2 connection (RFC 9113 §5: streams are
// independent and share the connection): one transport and session, and at any moment one of
// the probes reading the socket on behalf of all of them.
#include "engine/probe/h2_mux.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <coroutine>
#include <deque>
#include <optional>

#include "engine/probe/detail/attempt.h"
#include "engine/runtime/recv_stream.h"
#include "h2/error.h"
#include "h2/extended_connect.h"
#include "h2/session.h"
#include "tls/error.h"
#include "tls/session.h"

namespace wsp::probe {
namespace {

using namespace detail;

// A read that waited for the peer longer than this hands control back, so a probe that parked
// after the read began with an earlier deadline is judged at most this late.
constexpr std::int64_t reader_slice_ns = 100'000'000;
// Teardown sends (GOAWAY, close_notify) are best effort within this bound.
constexpr std::int64_t teardown_ns = 100'000'000;
// A stream read hands out at most 16 KiB, the frame reader's read size.
constexpr std::size_t max_read = 16 * 1024;

struct stamped_event {
    h2::event ev;
    std::int64_t stamp_ns = 0; // reap time of the bytes that produced it
};

// One probe's stream: the session events addressed to it and the probe parked waiting for them.
struct stream_slot {
    std::int32_t id = 0; // 0 until its extended CONNECT is queued
    std::deque<stamped_event> inbox;
    std::coroutine_handle<> waiter{};
    rt::deadline until{};
    std::vector<std::uint8_t> data; // the DATA payload the last stream_recv handed out part of
    std::size_t data_pos = 0;
    bool ended = false; // eof was handed out; every later read is eof too
};

// Suspends a probe until the reader (or a failing send) resumes it.
struct park {
    stream_slot* slot;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) const noexcept { slot->waiter = h; }
    void await_resume() const noexcept {}
};

pipe_read timeout_read(std::int64_t now) { return pipe_read{pipe_read::kind::error, {}, rt::errc::timeout, now}; }

// The shared connection.
//
// Reading: there is no reader task. A probe that needs an event and finds its inbox empty reads
// the socket itself unless another probe already is; then it parks. The reader feeds the session,
// sorts its events into the inboxes and resumes the parked probes that have something (an event,
// their deadline, the end of the connection). Its receive deadline is the earliest of the waiting
// probes' (at most reader_slice_ns away). A probe leaving with its event hands the reading on to
// a parked one. Resumed probes run on the resumer's stack until they next suspend.
//
// Writing: probes queue DATA in the session; one flush at a time drains the session and sends.
// Over TLS it encrypts into a buffer of its own first: the TLS session's output view would not
// survive the reader decrypting while the send is in flight. A probe arriving during a flush
// leaves its bytes to it (the flush drains until the session is empty).
class shared_h2 final : public h2_stream_source {
public:
    shared_h2(rt::reactor& r, rt::socket s, rt::recv_stream& rs, tls::session* tls, h2::client_session session,
              std::size_t probes)
        : r_(&r), sock_(s), rs_(&rs), tls_(tls), session_(std::move(session)), slots_(probes), by_id_(probes, nullptr)
    {
    }

    [[nodiscard]] h2::client_session& session() noexcept { return session_; }
    [[nodiscard]] stream_slot& slot(std::size_t index) noexcept { return slots_[index]; }
    [[nodiscard]] rt::socket socket() const noexcept { return sock_; }
    [[nodiscard]] rt::recv_stream& receiver() noexcept { return *rs_; }
    [[nodiscard]] bool transport_eof() const noexcept { return dead_ && dead_->what == pipe_read::kind::eof; }

    // Queues the extended CONNECT for the probe of `s` (RFC 8441 §4); s receives its events.
    [[nodiscard]] wsp::expected<std::int32_t> open(stream_slot& s, const h2::connect_request& req)
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

    // Reads until the peer's first SETTINGS (or a GOAWAY before it: then that event). No probe
    // reads yet. First decrypts what arrived with the TLS handshake's last flight.
    [[nodiscard]] rt::task<h2_read> await_settings(rt::deadline until)
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

    // The next event of the stream of `s`, or the connection's eof/error, or a timeout at `until`.
    [[nodiscard]] rt::task<h2_read> next_event(stream_slot& s, rt::deadline until)
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

    // Drains the session and sends until it has nothing more; returns at once (ok) when another
    // flush is under way, which sends these bytes too. A failed send ends the connection.
    [[nodiscard]] rt::task<rt::io_result> flush(rt::deadline until)
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
                tls_ != nullptr ? std::span<const std::byte>(tls_out_)
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

    [[nodiscard]] rt::task<rt::io_result> stream_send(std::int32_t stream_id, std::span<const std::byte> plain,
                                                      rt::deadline until) override
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

    [[nodiscard]] rt::task<pipe_read> stream_recv(std::int32_t stream_id, rt::deadline until,
                                                  std::string* failure_text) override;

    // Ends a finished probe's stream: END_STREAM once the peer ended its side (RFC 9113 §5.1),
    // otherwise RST_STREAM(CANCEL) so the server frees it. Errors (already closed) are moot.
    void finish(stream_slot& s, bool peer_ended)
    {
        if (s.id != 0 && !dead_) {
            (void)(peer_ended ? session_.end_stream(s.id) : session_.reset_stream(s.id, h2::cancel));
        }
        s.inbox.clear();
        s.data = {};
    }

    // RFC 9113 §6.8: a graceful GOAWAY, then close_notify over TLS; best effort.
    [[nodiscard]] rt::task<void> shut()
    {
        if (dead_) {
            co_return;
        }
        (void)session_.send_goaway(h2::no_error);
        if (tls_ != nullptr && tls_->handshake_done()) {
            (void)tls_->shutdown();
        }
        (void)co_await flush(rt::deadline{rt::mono_now() + teardown_ns});
    }

private:
    [[nodiscard]] stream_slot* find(std::int32_t id) const noexcept
    {
        if (id <= 0 || (id & 1) == 0) {
            return nullptr;
        }
        const auto index = static_cast<std::size_t>((id - 1) / 2);
        return index < by_id_.size() ? by_id_[index] : nullptr;
    }

    // What `s` can be given now without reading: an event, the connection's end, or a timeout.
    [[nodiscard]] std::optional<h2_read> ready(stream_slot& s, rt::deadline until)
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
    [[nodiscard]] rt::task<void> read_once(rt::deadline until)
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
    void hand_over()
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
    void take_bytes(std::span<const std::byte> bytes, std::int64_t stamp)
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
                end_transport(r.error() == tls::errc::truncated ? pipe_read{pipe_read::kind::eof, {}, {}, stamp}
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

    void feed_session(std::span<const std::uint8_t> bytes, std::int64_t stamp)
    {
        // RFC 9113 §5.4.1: bytes nghttp2 rejects fatally end the session.
        if (auto fed = session_.feed(bytes); !fed) {
            end_transport(pipe_read{pipe_read::kind::error, {}, fed.error(), stamp});
        }
    }

    // Session events into the inboxes; a GOAWAY goes to every stream (each judges it by its id).
    void sort_events(std::int64_t stamp)
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
    [[nodiscard]] bool encrypt()
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
            auto w = tls_->write_plain({reinterpret_cast<const std::byte*>(out_.data()) + done, out_.size() - done});
            if (!w || (w->bytes == 0 && w->state == tls::status::want_input)) {
                return false; // renegotiation is refused, as in byte_pipe
            }
            done += w->bytes;
        }
    }

    // The connection is over. Parked probes learn it now, or from the reader when it returns.
    void end_transport(pipe_read why)
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

    rt::reactor* r_;
    rt::socket sock_;
    rt::recv_stream* rs_;
    tls::session* tls_;
    h2::client_session session_;
    std::vector<stream_slot> slots_;     // one per probe, never resized (parked probes point in)
    std::vector<stream_slot*> by_id_;    // client stream id 2k+1 -> its slot
    std::optional<pipe_read> dead_;      // the transport's eof or error, or a fatal session error
    std::optional<h2::event> goaway_;
    std::int64_t goaway_stamp_ = 0;
    std::int64_t settings_stamp_ = 0;
    bool pumping_ = false;               // a probe is reading for everyone
    bool flushing_ = false;              // a probe is sending for everyone
    std::vector<std::uint8_t> out_;      // the session's output being sent (h2c) or encrypted
    std::vector<std::byte> tls_out_;     // its ciphertext being sent (wss)
    std::array<std::byte, 16 * 1024> plain_{};
};

rt::task<pipe_read> shared_h2::stream_recv(std::int32_t stream_id, rt::deadline until, std::string* failure_text)
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
                *failure_text = ev.local ? "wsprobe ended the HTTP/2 session: the server broke the protocol (" +
                                               std::string(h2::error_code_name(ev.error_code)) + ")"
                                         : h2::describe_goaway(ev);
                co_return pipe_read{pipe_read::kind::error, {}, ev.local ? h2::errc::session_error : h2::errc::goaway,
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
        case h2::event_kind::headers: break; // trailers carry nothing for the WebSocket
        }
    }
}

// A transport failure before a response, worded as the single-connection upgrade words it.
void fail_before_response(attempt& a, const pipe_read& r, std::string_view waiting_for)
{
    if (r.what == pipe_read::kind::eof) {
        a.res.fail(phase::upgrade, errc::closed_before_response,
                   "The server closed the connection while wsprobe waited for " + std::string(waiting_for));
    } else if (r.error.module() == "h2") {
        a.res.fail(phase::upgrade, r.error,
                   "The server's HTTP/2 bytes were rejected while waiting for " + std::string(waiting_for) + " (" +
                       std::string(r.error.describe()) + ")");
    } else {
        a.res.fail(phase::upgrade, errc::reset_during_upgrade,
                   "The connection failed while waiting for " + std::string(waiting_for) + " (" +
                       std::string(r.error.describe()) + ")");
    }
}

// RFC 9113 §3.4 preface and SETTINGS; RFC 8441 §3: extended CONNECT needs ENABLE_CONNECT_PROTOCOL=1.
rt::task<bool> open_session(attempt& a, shared_h2& conn, std::int64_t ready_ns)
{
    const rt::deadline until = a.until(a.spec.timeouts.upgrade);
    (void)co_await conn.flush(until);
    auto r = co_await conn.await_settings(until);
    if (!r.ev) {
        a.res.set_duration(phase::upgrade, r.stamp_ns - ready_ns);
        if (r.failure.what == pipe_read::kind::error && r.failure.error == rt::errc::timeout) {
            a.res.fail(phase::upgrade, errc::h2_settings_timeout,
                       "No HTTP/2 SETTINGS from the server within " + ms_text(a.spec.timeouts.upgrade));
        } else {
            fail_before_response(a, r.failure, "the server's HTTP/2 SETTINGS");
        }
        co_return false;
    }
    if (r.ev->kind == h2::event_kind::goaway) {
        a.res.set_duration(phase::upgrade, r.stamp_ns - ready_ns);
        a.res.fail(phase::upgrade, h2::errc::goaway, h2::describe_goaway(*r.ev));
        co_return false;
    }
    if (conn.session().peer_connect_protocol() != 1) {
        a.res.set_duration(phase::upgrade, rt::mono_now() - ready_ns);
        a.res.fail(phase::upgrade, h2::errc::connect_protocol_not_enabled,
                   "The server speaks HTTP/2 but did not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL = 1, so "
                   "WebSockets over HTTP/2 (RFC 8441) are not available to share one connection");
        co_return false;
    }
    co_return true;
}

// One probe's extended CONNECT and its validated 2xx (RFC 8441 §4-§5).
rt::task<bool> stream_upgrade(attempt& a, shared_h2& conn, stream_slot& slot, std::int64_t ready_ns,
                              std::int64_t* upgraded_ns)
{
    const auto& spec = a.spec;
    const std::string authority = spec.url.authority();
    h2::connect_request req;
    req.scheme = spec.url.secure ? "https" : "http";
    req.authority = authority;
    req.path = spec.url.target;
    req.subprotocols.assign(spec.subprotocols.begin(), spec.subprotocols.end());
    std::string extensions;
    for (const auto& e : spec.extensions) {
        extensions += extensions.empty() ? e : ", " + e;
    }
    req.extensions = extensions;
    req.origin = spec.origin ? std::string_view(*spec.origin) : std::string_view{};
    for (const auto& h : spec.headers) {
        req.headers.push_back({h.name, h.value});
    }
    auto opened = conn.open(slot, req);
    if (!opened) {
        a.res.fail(phase::upgrade, opened.error(),
                   "Could not send the extended CONNECT: " + std::string(opened.error().describe()));
        co_return false;
    }
    if (a.env.transcript) {
        a.res.transcript += "> :method CONNECT\n> :protocol websocket\n> :scheme " + std::string(req.scheme) +
                            "\n> :authority " + authority + "\n> :path " + spec.url.target + "\n";
    }
    const rt::deadline until = a.until(spec.timeouts.upgrade);
    (void)co_await conn.flush(until);
    for (;;) {
        auto r = co_await conn.next_event(slot, until);
        if (!r.ev) {
            a.res.set_duration(phase::upgrade, r.stamp_ns - ready_ns);
            if (r.failure.what == pipe_read::kind::error && r.failure.error == rt::errc::timeout) {
                a.res.fail(phase::upgrade, errc::upgrade_timeout,
                           "No response to the extended CONNECT within " + ms_text(spec.timeouts.upgrade));
            } else {
                fail_before_response(a, r.failure, "the extended CONNECT response");
            }
            co_return false;
        }
        const h2::event& ev = *r.ev;
        if (ev.kind == h2::event_kind::goaway && (ev.local || ev.last_stream_id < slot.id || ev.error_code != 0)) {
            a.res.set_duration(phase::upgrade, r.stamp_ns - ready_ns);
            a.res.fail(phase::upgrade, ev.local ? h2::errc::session_error : h2::errc::goaway, h2::describe_goaway(ev));
            co_return false;
        }
        if (ev.kind == h2::event_kind::stream_reset || ev.kind == h2::event_kind::stream_closed) {
            a.res.set_duration(phase::upgrade, r.stamp_ns - ready_ns);
            a.res.fail(phase::upgrade, h2::errc::stream_reset,
                       h2::describe_reset(ev.error_code) + " instead of answering the extended CONNECT");
            co_return false;
        }
        const auto status = ev.kind == h2::event_kind::headers ? h2::status_of(ev) : std::nullopt;
        if (ev.kind != h2::event_kind::headers || (status && *status >= 100 && *status < 200)) {
            continue; // RFC 9113 §8.1: interim responses precede the final one
        }
        a.res.set_duration(phase::upgrade, r.stamp_ns - ready_ns);
        if (status) {
            a.res.negotiated.status = static_cast<std::uint16_t>(*status);
            if (a.env.transcript) {
                a.res.transcript += "< :status " + std::to_string(*status) + "\n";
            }
        }
        const std::string_view asserted =
            spec.expect_subprotocol ? std::string_view(*spec.expect_subprotocol) : std::string_view{};
        auto checked = h2::validate_connect_response(ev, req, asserted);
        if (!checked) {
            a.res.fail(phase::upgrade, checked.error().code, checked.error().message);
            co_return false;
        }
        if (!checked->subprotocol.empty()) {
            a.res.negotiated.subprotocol = checked->subprotocol;
        }
        if (!checked->extensions.empty()) {
            a.res.negotiated.extensions.push_back(checked->extensions);
        }
        *upgraded_ns = r.stamp_ns;
        co_return true;
    }
}

// The WebSocket phases after the upgrade, in run_check's order, over a pipe view of the stream.
rt::task<void> ws_phases(attempt& a, shared_h2& conn, stream_slot& slot, std::int64_t upgraded_ns, ws_state& st)
{
    const auto& spec = a.spec;
    const conn_buffer_lease buf;
    byte_pipe pipe(*a.env.reactor, conn.socket(), conn.receiver());
    pipe.bind_shared_h2_stream(&conn, slot.id);
    a.pipe = &pipe;
    ws::decoder_options opts;
    opts.local = ws::role::client;
    opts.permessage_deflate = std::any_of(a.res.negotiated.extensions.begin(), a.res.negotiated.extensions.end(),
                                          [](const std::string& e) { return e.starts_with("permessage-deflate"); });
    opts.max_message_size = spec.max_message_size;
    frame_reader rd(pipe, opts, buf.get()->inbox);
    std::unique_ptr<app::session> app_session;
    bool going = true;
    if (spec.app) {
        auto made = spec.app->preset->make(spec.app->options);
        if (!made) {
            a.res.fail(phase::app_init, made.error().error, made.error().sentence);
            going = false;
        } else {
            app_session = std::move(*made);
            going = co_await app_init(a, pipe, rd, st, *app_session, upgraded_ns);
        }
    }
    if (going && !st.server_close_seen && spec.rtt != proto::rtt_mode::none) {
        if (spec.rtt == proto::rtt_mode::app && app_session && app_session->has_rtt()) {
            going = co_await app_round_trip(a, pipe, rd, st, *app_session, upgraded_ns);
        } else {
            going = co_await round_trip(a, pipe, rd, st, upgraded_ns);
        }
    }
    if (going && !st.server_close_seen && !spec.steps.empty()) {
        going = co_await run_steps(a, pipe, rd, st, upgraded_ns);
    }
    if (going && !st.server_close_seen && spec.expect_close) {
        co_await await_expected_close(a, pipe, rd, st, upgraded_ns);
    }
    co_await close_phase(a, pipe, rd, st, upgraded_ns);
    a.pipe = nullptr;
}

// Everything one probe needs; passed by value into its coroutine.
struct stream_job {
    shared_h2* conn = nullptr;
    probe_env env;
    const check_spec* spec = nullptr;
    check_result* res = nullptr;
    std::int32_t* stream_id = nullptr;
    std::size_t index = 0;
    std::int64_t start_ns = 0;
    std::int64_t ready_ns = 0;
    std::int64_t overall_end_ns = 0;
    bool degraded = false; // the shared TLS phase recorded a degrading warning
};

void conclude(check_result& res, bool degraded, std::int64_t start_ns, const check_spec& spec)
{
    if (!res.failed_phase) {
        res.status = degraded ? proto::check_status::degraded : proto::check_status::up;
    }
    res.total_ns = rt::mono_now() - start_ns;
    proto::apply_thresholds(res, spec.thresholds);
}

rt::task<void> run_stream(stream_job job)
{
    attempt a{job.env, *job.spec, *job.res, job.overall_end_ns};
    a.degraded = job.degraded;
    stream_slot& slot = job.conn->slot(job.index);
    std::int64_t upgraded_ns = 0;
    ws_state st;
    const bool upgraded = co_await stream_upgrade(a, *job.conn, slot, job.ready_ns, &upgraded_ns);
    *job.stream_id = slot.id;
    if (upgraded) {
        co_await ws_phases(a, *job.conn, slot, upgraded_ns, st);
    }
    job.conn->finish(slot, st.eof_seen);
    (void)co_await job.conn->flush(rt::deadline{rt::mono_now() + teardown_ns});
    conclude(*job.res, a.degraded, job.start_ns, *job.spec);
}

// The connection phases into out->results[0]; on failure every result gets the same verdict.
rt::task<void> run_connection(probe_env env, std::vector<const check_spec*> specs, mux_outcome* out)
{
    const check_spec& spec = *specs[0];
    const std::int64_t start = rt::mono_now();
    check_result& lead = out->results[0];
    attempt a{env, spec, lead, start + to_ns(spec.timeouts.overall)};
    address_list addrs;
    rt::connected conn;
    bool ok = co_await resolve(a, &addrs);
    if (ok) {
        ok = co_await connect(a, addrs, &conn);
    }
    bool transport_eof = false;
    bool streams_ran = false;
    if (ok) {
        rt::recv_stream rs(*env.reactor, conn.sock);
        byte_pipe pipe(*env.reactor, conn.sock, rs);
        a.pipe = &pipe;
        std::optional<tls::session> tls_session;
        std::int64_t ready_ns = conn.done_ns;
        if (spec.url.secure) {
            ok = co_await tls_phase(a, pipe, &tls_session, conn.done_ns, &ready_ns);
        }
        a.pipe = nullptr;
        // RFC 9113 §3.2: over TLS, h2 only when ALPN selected it; there is no HTTP/1.1 to share.
        const std::string alpn = lead.tls ? lead.tls->alpn : std::string{};
        if (ok && spec.url.secure && alpn != "h2") {
            lead.fail(phase::upgrade, errc::h2_not_negotiated,
                      "ALPN selected " + (alpn.empty() ? std::string("no protocol") : alpn) +
                          ": the server does not offer HTTP/2 on this port, so the probes cannot share a connection");
            ok = false;
        }
        std::optional<shared_h2> shared;
        if (ok) {
            auto made = h2::client_session::create();
            if (!made) {
                lead.fail(phase::upgrade, made.error(), "Could not start an HTTP/2 session");
                ok = false;
            } else {
                shared.emplace(*env.reactor, conn.sock, rs, tls_session ? &*tls_session : nullptr, std::move(*made),
                               specs.size());
                ok = co_await open_session(a, *shared, ready_ns);
            }
        }
        if (ok) {
            lead.negotiated.http_version = "h2";
            for (std::size_t i = 1; i < specs.size(); ++i) {
                out->results[i] = lead;
                out->results[i].url = specs[i]->url.text();
            }
            streams_ran = true;
            rt::scope probes;
            for (std::size_t i = 0; i < specs.size(); ++i) {
                probes.spawn(run_stream(stream_job{&*shared, env, specs[i], &out->results[i], &out->stream_ids[i], i,
                                                   start, ready_ns, a.overall_end_ns, a.degraded}));
            }
            co_await probes.join();
        }
        if (shared) {
            co_await shared->shut();
            transport_eof = shared->transport_eof();
        } else if (tls_session && tls_session->handshake_done()) {
            co_await pipe.send_close_notify(rt::deadline{rt::mono_now() + teardown_ns});
        }
        co_await rs.stop();
        (void)co_await rt::close_socket(*env.reactor, conn.sock,
                                        transport_eof ? rt::close_mode::graceful : rt::close_mode::abort);
    }
    if (!streams_ran) {
        // The shared connection failed before any stream: every probe has its verdict.
        for (std::size_t i = 0; i < specs.size(); ++i) {
            if (i > 0) {
                out->results[i] = lead;
                out->results[i].url = specs[i]->url.text();
            }
            conclude(out->results[i], false, start, *specs[i]);
        }
    }
}

rt::task<mux_outcome> run_specs(probe_env env, std::vector<const check_spec*> specs)
{
    mux_outcome out;
    out.results.resize(specs.size());
    out.stream_ids.assign(specs.size(), 0);
    if (specs.empty()) {
        co_return out;
    }
    for (std::size_t i = 0; i < specs.size(); ++i) {
        out.results[i].url = specs[i]->url.text();
    }
    co_await run_connection(env, specs, &out);
    co_return out;
}

} // namespace

rt::task<mux_outcome> run_multiplexed(probe_env env, const proto::check_spec* spec, std::size_t count)
{
    co_return co_await run_specs(env, std::vector<const check_spec*>(count, spec));
}

rt::task<mux_outcome> run_multiplexed_targets(probe_env env, const proto::check_spec* spec,
                                              std::vector<std::string> targets)
{
    std::vector<check_spec> specs(targets.size(), *spec);
    std::vector<const check_spec*> ptrs;
    ptrs.reserve(specs.size());
    for (std::size_t i = 0; i < specs.size(); ++i) {
        specs[i].url.target = targets[i].empty() || targets[i][0] != '/' ? "/" + targets[i] : targets[i];
        ptrs.push_back(&specs[i]);
    }
    co_return co_await run_specs(env, std::move(ptrs));
}

} // namespace wsp::probe
