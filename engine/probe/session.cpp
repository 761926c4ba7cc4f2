// Connections shared by run_check and open_ws (RFC 6455 §4.1 opening handshake, RFC 8441 §4
// over HTTP/2), and the held connection's frame I/O after it (§5.5 pings, §7 closing).
#include "engine/probe/session.h"

#include <algorithm>
#include <cstring>

#include "engine/probe/detail/attempt.h"
#include "engine/runtime/ops.h"
#include "ws/close.h"

namespace wsp::probe {
namespace detail {

bool has_extension(const check_result& r, std::string_view name)
{
    return std::any_of(r.negotiated.extensions.begin(), r.negotiated.extensions.end(),
                       [&](const std::string& e) { return e.starts_with(name); });
}

ws::decoder_options decoder_options_for(const check_result& res, const check_spec& spec)
{
    ws::decoder_options opts;
    opts.local = ws::role::client;
    opts.permessage_deflate = has_extension(res, "permessage-deflate");
    opts.max_message_size = spec.max_message_size;
    return opts;
}

namespace {

// Whether the connection goes on over HTTP/2 after TLS (or without it, with prior knowledge).
// Fails the check under --http2 require when ALPN did not select h2.
bool choose_h2(attempt& a, bool try_h2)
{
    check_result* res = &a.res;
    if (try_h2 && a.spec.url.secure) {
        // RFC 9113 §3.2: over TLS, h2 only when ALPN selected it.
        const std::string alpn = res->tls ? res->tls->alpn : std::string{};
        if (alpn == "h2") {
            return true;
        }
        if (a.spec.http2 == proto::http2_mode::require) {
            res->fail(phase::upgrade, errc::h2_not_negotiated,
                      "--http2 require, but ALPN selected " +
                          (alpn.empty() ? std::string("no protocol") : alpn) +
                          ": the server does not offer HTTP/2 on this port");
            return false;
        }
        // RFC 7301 §3.2: a server that answers no ALPN protocol speaks the default, HTTP/1.1
        // (tls.alpn shows "" then). One stable reason either way.
        res->negotiated.fallback_reason = "ALPN selected http/1.1";
        return false;
    }
    return try_h2 && a.spec.http2 == proto::http2_mode::prior_knowledge; // RFC 9113 §3.3: h2c
}

} // namespace

rt::task<std::unique_ptr<ws_connection>> establish(attempt& a, const address_list& addrs, bool try_h2,
                                                   bool* fallback, conn_buffers* buf, std::size_t* leftover,
                                                   std::int64_t* upgraded_ns)
{
    rt::connected tcp;
    const bool connected = co_await connect(a, addrs, &tcp);
    if (!connected) {
        co_return nullptr;
    }
    a.res.negotiated.http_version = "http/1.1";
    auto conn = std::make_unique<ws_connection>(*a.env.reactor, tcp.sock, a.env.entropy);
    transport& t = *conn->transport();
    a.pipe = &t.pipe;
    std::int64_t ready_ns = tcp.done_ns;
    // Every co_await stands in a statement of its own: g++ 12 has miscompiled co_await inside
    // conditions and short-circuit expressions (seen in the lab server).
    bool ok = true;
    if (a.spec.url.secure) {
        ok = co_await tls_phase(a, t.pipe, &t.tls, tcp.done_ns, &ready_ns);
    }
    const bool use_h2 = ok && choose_h2(a, try_h2);
    ok = ok && !a.res.failed_phase;
    if (ok && use_h2) {
        const h2_outcome out = co_await h2_upgrade(a, t.pipe, &t.h2, ready_ns, upgraded_ns);
        ok = out == h2_outcome::upgraded;
        *fallback = out == h2_outcome::fallback;
    } else if (ok) {
        ok = co_await upgrade(a, t.pipe, buf, ready_ns, leftover, upgraded_ns);
    }
    if (!ok) {
        co_await conn->teardown(false);
        a.pipe = nullptr;
        co_return nullptr;
    }
    co_return conn;
}

} // namespace detail

wsp::expected<tls::context> client_tls_context(const proto::tls_options& t, bool offer_h2,
                                               std::string_view ciphersuites, std::string* why)
{
    auto b = tls::context_builder::client();
    // RFC 7301 §3.1: protocols are offered in preference order; h2 only when RFC 8441 may be used.
    if (offer_h2) {
        b.alpn({"h2", "http/1.1"});
    } else {
        b.alpn({"http/1.1"});
    }
    b.insecure(t.insecure);
    if (t.ca_file) {
        b.ca_file(*t.ca_file);
    }
    if (t.cert_file && t.key_file) {
        b.certificate_file(*t.cert_file, *t.key_file);
    }
    if (t.min_tls13) {
        b.min_version(tls::tls_version::tls1_3);
    }
    if (!ciphersuites.empty()) {
        b.ciphersuites(std::string(ciphersuites));
    }
    auto ctx = b.build();
    if (!ctx && why != nullptr) {
        *why = b.error_text();
    }
    return ctx;
}

using namespace detail;

ws_connection::ws_connection(rt::reactor& r, rt::socket s, http1::entropy_source* entropy) noexcept
    : r_(&r), entropy_(entropy), rs_(r, s), sock_(s)
{
    transport_ = std::make_unique<detail::transport>(r, s, rs_);
}

ws_connection::~ws_connection()
{
    if (!finished_) {
        // The kernel may still post completions for the receive stream: freeing now would dangle.
        std::terminate();
    }
}

bool ws_connection::secure() const noexcept
{
    return transport_ && transport_->pipe.secure();
}

bool ws_connection::http2() const noexcept
{
    return transport_ && transport_->pipe.http2();
}

void ws_connection::begin_hold(const ws::decoder& dec, std::span<const std::uint8_t> leftover,
                               std::int64_t stamp_ns)
{
    dec_opts_ = dec.options();
    dec_.reset();
    if (!dec.at_rest()) {
        dec_ = std::make_unique<ws::decoder>(dec);
    }
    in_ = {};
    in_stamp_ns_ = stamp_ns;
    if (!leftover.empty()) {
        leftover_ = std::make_unique<std::uint8_t[]>(leftover.size());
        std::memcpy(leftover_.get(), leftover.data(), leftover.size());
        in_ = {leftover_.get(), leftover.size()};
    }
    if (transport_ && !transport_->pipe.secure() && !transport_->pipe.http2()) {
        // Plain TCP: frames come straight from the receive stream; the 16 KiB pipe goes.
        transport_.reset();
    } else if (transport_) {
        transport_->inbox = std::make_unique<std::array<std::uint8_t, 16 * 1024>>();
    }
}

rt::task<void> ws_connection::teardown(bool peer_closed_tcp)
{
    if (finished_) {
        co_return;
    }
    finished_ = true;
    in_ = {};
    chunk_.release();
    if (transport_) {
        if (transport_->h2 && !peer_closed_tcp) {
            // RFC 9113 §6.8: a graceful GOAWAY before the transport closes; best effort.
            (void)transport_->h2->send_goaway(h2::no_error);
            (void)co_await transport_->pipe.flush_h2(rt::deadline{rt::mono_now() + 100'000'000});
        }
        if (transport_->tls && !peer_closed_tcp && transport_->tls->handshake_done()) {
            co_await transport_->pipe.send_close_notify(rt::deadline{rt::mono_now() + 100'000'000});
        }
    }
    co_await rs_.stop();
    transport_.reset();
    // The server closing first leaves TIME_WAIT on its side; otherwise reset so this side keeps
    // no TIME_WAIT per connection (runtime socket.h, close_mode).
    (void)co_await rt::close_socket(*r_, sock_,
                                    peer_closed_tcp ? rt::close_mode::graceful : rt::close_mode::abort);
}

rt::task<bool> ws_connection::send_bytes(std::span<const std::uint8_t> frame, rt::deadline until)
{
    const std::span<const std::byte> bytes{reinterpret_cast<const std::byte*>(frame.data()), frame.size()};
    rt::io_result r;
    if (transport_) {
        r = co_await transport_->pipe.send(bytes, until);
    } else {
        r = co_await rt::send_all_op(*r_, sock_, bytes, until);
    }
    co_return r.ok();
}

rt::task<bool> ws_connection::send_ping(std::span<const std::uint8_t> payload, rt::deadline until)
{
    if (ended_ || finished_) {
        co_return false;
    }
    std::array<std::uint8_t, 2 + 4 + 125> frame{};
    auto n = ws::build_ping(frame, payload, next_mask(*entropy_));
    if (!n) {
        co_return false;
    }
    const bool sent = co_await send_bytes(std::span<const std::uint8_t>(frame.data(), *n), until);
    co_return sent;
}

rt::task<bool> ws_connection::send_message(std::string_view payload, bool binary, rt::deadline until)
{
    if (ended_ || finished_) {
        co_return false;
    }
    std::vector<std::uint8_t> frame(payload.size() + ws::max_header_size);
    const auto key = next_mask(*entropy_);
    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(payload.data()),
                                              payload.size());
    auto n = binary ? ws::build_binary(frame, bytes, key) : ws::build_text(frame, payload, key);
    if (!n) {
        co_return false;
    }
    const bool sent = co_await send_bytes(std::span<const std::uint8_t>(frame.data(), *n), until);
    co_return sent;
}

rt::task<bool> ws_connection::send_pong(std::span<const std::uint8_t> payload, rt::deadline until)
{
    std::array<std::uint8_t, 2 + 4 + 125> frame{};
    auto n = ws::build_pong(frame, payload, next_mask(*entropy_));
    if (!n) {
        co_return false;
    }
    const bool sent = co_await send_bytes(std::span<const std::uint8_t>(frame.data(), *n), until);
    co_return sent;
}

void ws_connection::end(held_event_kind kind, std::uint16_t code, wsp::error e) noexcept
{
    ended_ = true;
    end_kind_ = kind;
    end_code_ = code;
    end_error_ = e;
    eof_ = eof_ || kind == held_event_kind::eof;
    in_ = {};
    chunk_.release();
    dec_.reset();
}

held_event ws_connection::poll() noexcept
{
    for (;;) {
        if (ended_) {
            return held_event{end_kind_, end_code_, in_stamp_ns_, 0, end_error_, {}};
        }
        if (!dec_) {
            if (in_.empty()) {
                chunk_.release();
                return held_event{held_event_kind::need_input, 0, in_stamp_ns_, 0, {}, {}};
            }
            // Bytes arrived at a frame boundary: a fresh decoder goes on exactly where the last
            // one stopped (it was at rest when dropped).
            dec_ = std::make_unique<ws::decoder>(dec_opts_);
        }
        auto r = dec_->next(in_);
        if (!r) {
            // RFC 6455 §7.1.7: an invalid frame fails the connection.
            end(held_event_kind::error, 1006, r.error());
            continue;
        }
        in_ = in_.subspan(r->consumed);
        const ws::event& ev = r->ev;
        switch (ev.kind) {
        case ws::event_kind::need_more:
            in_ = {};
            chunk_.release(); // idle connections hold no receive buffer
            if (dec_->at_rest()) {
                dec_.reset(); // nor decoder state between frames
            }
            return held_event{held_event_kind::need_input, 0, in_stamp_ns_, 0, {}, {}};
        case ws::event_kind::message_end:
            return held_event{held_event_kind::message, 0, in_stamp_ns_, ev.length, {}, {}};
        case ws::event_kind::control:
            if (ev.op == ws::opcode::ping) {
                return held_event{held_event_kind::ping, 0, in_stamp_ns_, ev.length, {}, ev.payload};
            }
            if (ev.op == ws::opcode::pong) {
                return held_event{held_event_kind::pong, 0, in_stamp_ns_, ev.length, {}, {}};
            }
            if (ev.op == ws::opcode::close) {
                end(held_event_kind::closed, ev.close_code, {});
            }
            break;
        case ws::event_kind::frame_header:
        case ws::event_kind::payload:
            break; // only whole messages are reported
        }
    }
}

held_event ws_connection::feed(rt::recv_chunk chunk) noexcept
{
    held_event out{held_event_kind::need_input, 0, chunk.stamp_ns(), 0, {}, {}};
    if (ended_) {
        out.kind = end_kind_;
        return out;
    }
    in_stamp_ns_ = chunk.stamp_ns();
    if (chunk.is_data()) {
        // The provided buffer is this process's memory, lent until release(); the decoder
        // writes into it only to unmask, which a server frame must not need (RFC 6455 §5.1).
        const auto b = chunk.bytes();
        chunk_ = chunk.take_lease();
        in_ = {const_cast<std::uint8_t*>(reinterpret_cast<const std::uint8_t*>(b.data())), b.size()};
        return out;
    }
    if (chunk.is_eof()) {
        end(held_event_kind::eof, 1006, {}); // RFC 6455 §7.1.5: closed without a close frame
        out.kind = held_event_kind::eof;
        out.close_code = 1006;
    } else if (chunk.error() == rt::errc::timeout) {
        out.kind = held_event_kind::timeout;
    } else {
        end(held_event_kind::error, 1006, chunk.error());
        out.kind = held_event_kind::error;
        out.close_code = 1006;
        out.error = chunk.error();
    }
    return out;
}

rt::task<held_event> ws_connection::refill(rt::deadline until)
{
    held_event out{held_event_kind::need_input, 0, 0, 0, {}, {}};
    auto got = co_await transport_->pipe.recv(until);
    out.stamp_ns = got.stamp_ns;
    in_stamp_ns_ = got.stamp_ns;
    if (got.what == pipe_read::kind::data) {
        // A pipe read is at most one TLS record or one HTTP/2 DATA slice (16 KiB).
        auto& inbox = *transport_->inbox;
        const std::size_t n = std::min(inbox.size(), got.bytes.size());
        std::memcpy(inbox.data(), got.bytes.data(), n);
        in_ = {inbox.data(), n};
    } else if (got.what == pipe_read::kind::eof) {
        end(held_event_kind::eof, 1006, {});
        out.kind = held_event_kind::eof;
        out.close_code = 1006;
    } else if (got.error == rt::errc::timeout) {
        out.kind = held_event_kind::timeout;
    } else {
        end(held_event_kind::error, 1006, got.error);
        out.kind = held_event_kind::error;
        out.close_code = 1006;
        out.error = got.error;
    }
    co_return out;
}

rt::task<held_event> ws_connection::next(rt::deadline until)
{
    for (;;) {
        held_event ev = poll();
        if (ev.kind == held_event_kind::ping) {
            (void)co_await send_pong(ev.payload, until);
            continue;
        }
        if (ev.kind != held_event_kind::need_input) {
            co_return ev;
        }
        if (!transport_) {
            rt::recv_chunk c = co_await rs_.next(until);
            ev = feed(std::move(c));
        } else {
            ev = co_await refill(until);
        }
        if (ev.kind == held_event_kind::timeout) {
            co_return ev;
        }
    }
}

rt::task<bool> ws_connection::close(rt::deadline until, std::int64_t fin_wait_ns)
{
    if (finished_) {
        co_return false;
    }
    bool clean = false;
    if (!eof_ && end_kind_ != held_event_kind::error) {
        // RFC 6455 §5.5.1: answer a server's close with its code; otherwise start with 1000.
        const bool server_first = end_kind_ == held_event_kind::closed;
        const std::uint16_t code = server_first && ws::is_valid_wire_close_code(end_code_) ? end_code_ : 1000;
        std::array<std::uint8_t, 2 + 4 + 125> frame{};
        bool sent = false;
        if (auto n = ws::build_close(frame, code, "", next_mask(*entropy_))) {
            sent = co_await send_bytes(std::span<const std::uint8_t>(frame.data(), *n), until);
        }
        close_sent_ = sent;
        while (sent && !ended_) {
            const held_event ev = co_await next(until);
            if (ev.kind == held_event_kind::timeout) {
                break;
            }
        }
        clean = sent && end_kind_ == held_event_kind::closed;
        // RFC 6455 §7.1.1: the server closes TCP first; wait for it so TIME_WAIT stays there.
        if (clean && fin_wait_ns >= 0) {
            until.at_ns = std::min(until.at_ns, rt::mono_now() + fin_wait_ns);
        }
        while (clean && !eof_) {
            bool more = false;
            if (!transport_) {
                rt::recv_chunk c = co_await rs_.next(until);
                more = c.is_data();
                eof_ = c.is_eof();
            } else {
                auto got = co_await transport_->pipe.recv(until);
                more = got.what == pipe_read::kind::data;
                eof_ = got.what == pipe_read::kind::eof;
            }
            if (!more) {
                break;
            }
        }
    }
    co_await teardown(eof_);
    co_return clean;
}

rt::task<void> ws_connection::abort()
{
    co_await teardown(false);
}

// open_ws: one attempt of run_check's phases, stopping once the connection is validated.
namespace {

// The connection's WebSocket phases as check runs them (app init, first RTT); true when they
// passed. On false the close phase has run and the caller tears down.
// Frames the validation reader received but did not decode (they came in the same read as the
// reply it waited for), with its decoder state, so the hold starts where validation stopped.
struct carried_input {
    ws::decoder dec;
    std::span<const std::uint8_t> bytes; // in the connection's handshake inbox
    std::int64_t stamp_ns = 0;
};

rt::task<bool> validate(attempt& a, ws_connection& conn, conn_buffers* buf, std::size_t leftover,
                        std::int64_t upgraded_ns, ws_state* st, carried_input* carried)
{
    const check_spec* spec = &a.spec;
    byte_pipe& pipe = conn.transport()->pipe;
    frame_reader rd(pipe, decoder_options_for(a.res, *spec), buf->inbox);
    (void)rd.preload(std::span<const std::uint8_t>(buf->inbox.data(), leftover), upgraded_ns);
    bool going = co_await init_and_round_trip(a, pipe, rd, *st, upgraded_ns);
    if (going && st->server_close_seen) {
        going = false;
    }
    if (!going) {
        if (!a.res.failed_phase) {
            a.res.fail(phase::rtt, errc::server_closed, "The server closed the WebSocket during validation");
        }
        co_await close_phase(a, pipe, rd, *st, upgraded_ns);
    } else {
        carried->dec = rd.decoder();
        carried->bytes = rd.pending();
        carried->stamp_ns = rd.pending_stamp_ns();
    }
    co_return going;
}

rt::task<std::unique_ptr<ws_connection>> open_once(attempt& a, const address_list& addrs, bool try_h2,
                                                   bool* fallback)
{
    const conn_buffer_lease buf;
    std::size_t leftover = 0;
    std::int64_t upgraded_ns = 0;
    std::unique_ptr<ws_connection> conn =
        co_await establish(a, addrs, try_h2, fallback, buf.get(), &leftover, &upgraded_ns);
    if (!conn) {
        co_return nullptr;
    }
    const auto opts = decoder_options_for(a.res, a.spec);
    if (!a.spec.app && a.spec.rtt == proto::rtt_mode::none) {
        conn->begin_hold(ws::decoder(opts), std::span<const std::uint8_t>(buf.get()->inbox.data(), leftover),
                         upgraded_ns);
        a.pipe = nullptr;
        co_return conn;
    }
    ws_state st;
    carried_input carried{ws::decoder(opts), {}, upgraded_ns};
    const bool passed = co_await validate(a, *conn, buf.get(), leftover, upgraded_ns, &st, &carried);
    if (!passed) {
        co_await conn->teardown(st.eof_seen);
        a.pipe = nullptr;
        co_return nullptr;
    }
    // The validation phases end on the reply they waited for; frames that arrived in the same
    // read after it are the hold's first input (RFC 6455 §5.4: nothing of the stream is skipped).
    conn->begin_hold(carried.dec, carried.bytes, carried.stamp_ns);
    a.pipe = nullptr;
    co_return conn;
}

} // namespace

rt::task<std::unique_ptr<ws_connection>> open_ws(probe_env env, const check_spec* spec, check_result* res)
{
    *res = check_result{};
    res->url = spec->url.text();
    res->attempts = 1;
    const std::int64_t start = rt::mono_now();
    attempt a{env, *spec, *res, start + to_ns(spec->timeouts.overall)};
    address_list addrs;
    std::unique_ptr<ws_connection> conn;
    const bool resolved = co_await resolve(a, &addrs);
    if (resolved) {
        bool fallback = false;
        conn = co_await open_once(a, addrs, spec->http2 != proto::http2_mode::off, &fallback);
        if (fallback) {
            // RFC 8441 §3: the server's HTTP/2 lacks extended CONNECT; retry on HTTP/1.1.
            std::optional<tls::context> h1_ctx;
            bool usable = true;
            if (spec->url.secure) {
                auto made = client_tls_context(spec->tls, false);
                if (!made) {
                    res->fail(phase::tls, made.error(),
                              "Could not build the HTTP/1.1 TLS context for the fallback");
                    usable = false;
                } else {
                    h1_ctx.emplace(std::move(*made));
                    a.env.tls = &*h1_ctx;
                }
            }
            if (usable) {
                res->negotiated = proto::negotiated_info{};
                res->negotiated.fallback_reason = "server did not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL";
                bool again = false;
                conn = co_await open_once(a, addrs, false, &again);
            }
        }
    }
    if (!res->failed_phase) {
        res->status = a.degraded ? proto::check_status::degraded : proto::check_status::up;
    }
    res->total_ns = rt::mono_now() - start;
    co_return conn;
}

} // namespace wsp::probe
