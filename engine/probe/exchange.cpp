// Frames after the upgrade: the RTT exchange (echo, any, ping) and the close handshake (RFC 6455 §5.5, §7).
#include "engine/probe/detail/attempt.h"

#include "ws/close.h"
#include "ws/utf8.h"

namespace wsp::probe::detail {
// 4 fresh mask bytes per frame (RFC 6455 §5.3: unpredictable).
ws::mask_key next_mask(http1::entropy_source& e)
{
    std::array<std::uint8_t, 16> bytes{};
    if (!e.fill(std::span<std::uint8_t, 16>(bytes))) {
        bytes.fill(0x5a);
    }
    return {bytes[0], bytes[1], bytes[2], bytes[3]};
}

rt::task<bool> send_frame(byte_pipe& pipe, std::span<const std::uint8_t> frame, rt::deadline until)
{
    const auto* p = reinterpret_cast<const std::byte*>(frame.data());
    const rt::io_result r = co_await pipe.send({p, frame.size()}, until);
    co_return r.ok();
}

// Answers a server ping with a pong carrying the same payload (RFC 6455 §5.5.2).
rt::task<void> answer_ping(attempt& a, byte_pipe& pipe, std::span<const std::uint8_t> payload, rt::deadline until)
{
    std::array<std::uint8_t, 2 + 4 + 125> frame{};
    if (auto n = ws::build_pong(frame, payload, next_mask(*a.env.entropy))) {
        (void)co_await send_frame(pipe, std::span<const std::uint8_t>(frame.data(), *n), until);
    }
}

std::string close_words(std::uint16_t code, std::string_view reason)
{
    std::string s = std::to_string(code) + " (" + std::string(ws::close_code_name(code));
    if (!reason.empty()) {
        s += ": \"" + std::string(reason.substr(0, 123)) + "\"";
    }
    return s + ")";
}

// Records a server-initiated close as the failure of phase p.
void fail_server_close(attempt& a, ws_state& st, phase p, const ws::event& ev, std::int64_t since_upgrade_ns)
{
    st.server_close_seen = true;
    st.server_code = ev.close_code;
    st.server_reason = std::string(ev.close_reason());
    a.res.close.by = proto::closed_by::server;
    a.res.close.code = ev.close_code;
    a.res.close.reason = st.server_reason;
    st.failed = true;
    const std::string when =
        since_upgrade_ns < 1'000'000 ? "right after the upgrade" : proto::format_ms(since_upgrade_ns) + " after the upgrade";
    a.res.fail(p, errc::server_closed,
               "The server closed the WebSocket with " + close_words(ev.close_code, st.server_reason) + " " + when);
}

void fail_read(attempt& a, ws_state& st, phase p, const read_outcome& o, std::int64_t since_upgrade_ns,
               proto::millis timeout)
{
    st.failed = true;
    if (o.what == read_outcome::kind::eof) {
        st.eof_seen = true;
        a.res.close.by = proto::closed_by::transport;
        a.res.close.code = 1006;
        a.res.fail(p, errc::connection_dropped,
                   "The server dropped the TCP connection without a close frame (1006) " +
                       proto::format_ms(since_upgrade_ns) + " after the upgrade");
    } else if (o.error == rt::errc::timeout) {
        a.res.fail(p, errc::rtt_timeout,
                   "No reply within " + ms_text(timeout) +
                       " (RTT timeout): the upgrade succeeded but frames are not getting through");
    } else if (o.error.module() == "ws") {
        a.res.fail(p, o.error, "The server sent an invalid WebSocket frame: " + std::string(o.error.describe()));
    } else if (o.error.module() == "h2") {
        // RFC 8441 §5: the stream is the WebSocket; its reset or the session's GOAWAY ends it.
        a.res.close.by = proto::closed_by::transport;
        a.res.close.code = 1006;
        const std::string why = a.pipe != nullptr ? a.pipe->h2_failure_text() : std::string{};
        a.res.fail(p, o.error, (why.empty() ? std::string(o.error.describe()) : why) + ", " +
                                   proto::format_ms(since_upgrade_ns) + " after the upgrade");
    } else {
        a.res.close.by = proto::closed_by::transport;
        a.res.close.code = 1006;
        a.res.fail(p, errc::connection_reset,
                   "The connection failed after the upgrade: " + std::string(o.error.describe()));
    }
}

// Printable preview of a reply for sentences.
std::string preview(std::span<const std::uint8_t> bytes)
{
    std::string out;
    for (std::size_t i = 0; i < bytes.size() && i < 48; ++i) {
        const char c = static_cast<char>(bytes[i]);
        out += (bytes[i] >= 0x20 && bytes[i] < 0x7f) ? c : '.';
    }
    return bytes.size() > 48 ? out + "..." : out;
}

// RTT phase: echo, any or ping. Returns false when the check is down.
rt::task<bool> round_trip(attempt& a, byte_pipe& pipe, frame_reader& rd, ws_state& st, std::int64_t upgraded_ns)
{
    const auto& spec = a.spec;
    const rt::deadline until = a.until(spec.timeouts.rtt);
    const auto payload = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(spec.payload.data()),
                                                       spec.payload.size());
    std::int64_t sent_ns = upgraded_ns;
    const bool ping = spec.rtt == proto::rtt_mode::ping || spec.rtt == proto::rtt_mode::app;
    if (spec.rtt == proto::rtt_mode::echo || ping) {
        if (spec.rtt == proto::rtt_mode::echo && !spec.binary && !ws::validate_utf8(spec.payload)) {
            a.res.fail(phase::rtt, errc::bad_payload, "The echo payload is not UTF-8; send it with --binary");
            co_return false;
        }
        std::vector<std::uint8_t> frame(payload.size() + ws::max_header_size);
        const auto key = next_mask(*a.env.entropy);
        auto n = ping ? ws::build_ping(frame, payload, key)
                 : spec.binary                     ? ws::build_binary(frame, payload, key)
                                                   : ws::build_text(frame, spec.payload, key);
        if (!n) {
            a.res.fail(phase::rtt, errc::bad_payload, "The payload cannot be framed: " + std::string(n.error().describe()));
            co_return false;
        }
        sent_ns = rt::mono_now();
        const bool frame_sent = co_await send_frame(pipe, std::span<const std::uint8_t>(frame.data(), *n), until);
        if (!frame_sent) {
            a.res.set_duration(phase::rtt, rt::mono_now() - sent_ns);
            st.failed = true;
            a.res.fail(phase::rtt, errc::connection_reset, "The connection failed while sending the RTT frame");
            co_return false;
        }
    }
    const ws::opcode want_op = spec.binary ? ws::opcode::binary : ws::opcode::text;
    std::size_t offset = 0;
    bool matches = true;
    unsigned others = 0;
    std::string first_other;
    for (;;) {
        auto o = co_await rd.next(until);
        if (!o.is_event()) {
            a.res.set_duration(phase::rtt, o.stamp_ns - sent_ns);
            if (o.what == read_outcome::kind::error && o.error == rt::errc::timeout && others > 0) {
                st.failed = true;
                a.res.fail(phase::rtt, errc::echo_mismatch,
                           "The server answered " + std::to_string(others) +
                               " message(s) but none equal to the payload sent; first: \"" + first_other + "\"");
                co_return false;
            }
            fail_read(a, st, phase::rtt, o, o.stamp_ns - upgraded_ns, spec.timeouts.rtt);
            co_return false;
        }
        const auto& ev = o.ev;
        switch (ev.kind) {
        case ws::event_kind::frame_header:
            if (ev.op != ws::opcode::continuation) {
                offset = 0;
                matches = ev.op == want_op;
            }
            break;
        case ws::event_kind::payload:
            if (offset + ev.payload.size() > payload.size() ||
                !std::equal(ev.payload.begin(), ev.payload.end(), payload.begin() + static_cast<std::ptrdiff_t>(offset))) {
                matches = false;
            }
            if (first_other.empty() && offset == 0) {
                first_other = preview(ev.payload);
            }
            offset += ev.payload.size();
            break;
        case ws::event_kind::message_end:
            if (spec.rtt == proto::rtt_mode::any || spec.rtt == proto::rtt_mode::none ||
                (spec.rtt == proto::rtt_mode::echo && matches && offset == payload.size())) {
                a.res.set_duration(phase::rtt, o.stamp_ns - sent_ns);
                a.res.rtt_ns = o.stamp_ns - sent_ns;
                co_return true;
            }
            ++others;
            break;
        case ws::event_kind::control:
            if (ev.op == ws::opcode::ping) {
                co_await answer_ping(a, pipe, ev.payload, until);
            } else if (ev.op == ws::opcode::pong) {
                if (ping && std::equal(ev.payload.begin(), ev.payload.end(),
                                                                    payload.begin(), payload.end())) {
                    a.res.set_duration(phase::rtt, o.stamp_ns - sent_ns);
                    a.res.rtt_ns = o.stamp_ns - sent_ns;
                    co_return true;
                }
            } else if (ev.op == ws::opcode::close) {
                a.res.set_duration(phase::rtt, o.stamp_ns - sent_ns);
                if (spec.expect_close && spec.expect_close->contains(ev.close_code)) {
                    st.server_close_seen = true;
                    st.expected_close = true;
                    st.server_code = ev.close_code;
                    a.res.close = {proto::closed_by::server, ev.close_code, std::string(ev.close_reason()), false};
                    co_return false;
                }
                fail_server_close(a, st, phase::rtt, ev, o.stamp_ns - upgraded_ns);
                co_return false;
            }
            break;
        case ws::event_kind::need_more: break;
        }
    }
}

// Close phase: our close 1000, the server's close frame, then the server closes TCP first
// (RFC 6455 §7.1.1). A server that already closed gets its code echoed (§5.5.1).
rt::task<void> close_phase(attempt& a, byte_pipe& pipe, frame_reader& rd, ws_state& st, std::int64_t upgraded_ns)
{
    if (st.eof_seen) {
        co_return;
    }
    const rt::deadline until = a.until(a.spec.timeouts.close);
    std::array<std::uint8_t, 2 + 4 + 125> frame{};
    if (st.server_close_seen) {
        const std::uint16_t code = ws::is_valid_wire_close_code(st.server_code) ? st.server_code : 1000;
        if (auto n = ws::build_close(frame, code, "", next_mask(*a.env.entropy))) {
            st.close_sent = co_await send_frame(pipe, std::span<const std::uint8_t>(frame.data(), *n), until);
        }
        st.eof_seen = co_await rd.wait_eof(until);
        a.res.close.clean = st.close_sent;
        co_return;
    }
    const bool protocol_error = a.res.code == "invalid_frame" || a.res.cls == wsp::failure_class::protocol;
    const std::uint16_t our_code = protocol_error ? 1002 : 1000;
    auto n = ws::build_close(frame, our_code, "", next_mask(*a.env.entropy));
    const std::int64_t start = rt::mono_now();
    bool close_sent = false;
    if (n) {
        close_sent = co_await send_frame(pipe, std::span<const std::uint8_t>(frame.data(), *n), until);
    }
    if (!close_sent) {
        if (!st.failed) {
            warn(a, "Could not send the close frame; the connection was already broken");
        }
        co_return;
    }
    st.close_sent = true;
    if (protocol_error || st.failed) {
        // RFC 6455 §7.1.7: fail the connection. After a timeout or a broken exchange the close
        // handshake would only add its own timeout to a verdict that is already down.
        co_return;
    }
    for (;;) {
        auto o = co_await rd.next(until);
        if (!o.is_event()) {
            a.res.set_duration(phase::close, std::max<std::int64_t>(0, o.stamp_ns - start));
            a.res.close.by = proto::closed_by::client;
            if (o.what == read_outcome::kind::eof) {
                st.eof_seen = true;
                a.res.close.code = 1006;
                if (!st.failed) {
                    warn(a, "The server closed TCP without answering the close frame (1006)");
                }
            } else if (!st.failed) {
                warn(a, o.error == rt::errc::timeout
                            ? "The server did not answer the close frame within " + ms_text(a.spec.timeouts.close)
                            : "The close handshake failed: " + std::string(o.error.describe()));
            }
            co_return;
        }
        const auto& ev = o.ev;
        if (ev.kind != ws::event_kind::control) {
            continue; // data still in flight from the server is discarded
        }
        if (ev.op == ws::opcode::ping) {
            co_await answer_ping(a, pipe, ev.payload, until);
            continue;
        }
        if (ev.op != ws::opcode::close) {
            continue;
        }
        a.res.set_duration(phase::close, std::max<std::int64_t>(0, o.stamp_ns - start));
        if (ev.close_code != 1000 && ev.close_code != 1001 && ev.close_code != 1005 && !st.failed) {
            // Not an answer to our 1000: the server was closing on its own (e.g. 4401 after auth).
            fail_server_close(a, st, phase::close, ev, o.stamp_ns - upgraded_ns);
        } else {
            a.res.close.by = proto::closed_by::client;
            a.res.close.code = ev.close_code;
            a.res.close.reason = std::string(ev.close_reason());
            a.res.close.clean = true;
            st.server_close_seen = true;
        }
        st.eof_seen = co_await rd.wait_eof(until);
        co_return;
    }
}

} // namespace wsp::probe::detail
