// App-protocol init and RTT (proto/presets), scripted exchanges and --expect-close (proto/assert).
#include "engine/probe/detail/attempt.h"

namespace wsp::probe::detail {
namespace {

// Why next_message() stopped.
enum class message_end : std::uint8_t { message = 0, closed = 1, failed = 2 };

// Reads one whole data message into `buf` (bounded by the decoder's message limit), answering
// pings on the way. On `closed`, `close_code`/`close_reason` hold the server's close frame; on
// `failed`, `end` is the eof or error outcome.
struct message_state {
    std::string buf;
    bool binary = false;
    std::uint16_t close_code = 0;
    std::string close_reason;
    read_outcome end;
    std::int64_t stamp_ns = 0;
};

rt::task<message_end> next_message(attempt& a, byte_pipe& pipe, frame_reader& rd, rt::deadline until,
                                   message_state* m)
{
    m->buf.clear();
    for (;;) {
        auto o = co_await rd.next(until);
        m->stamp_ns = o.stamp_ns;
        if (!o.is_event()) {
            m->end = o;
            co_return message_end::failed;
        }
        const auto& ev = o.ev;
        switch (ev.kind) {
        case ws::event_kind::frame_header:
            if (ev.op != ws::opcode::continuation) {
                m->binary = ev.op == ws::opcode::binary;
                m->buf.clear();
            }
            break;
        case ws::event_kind::payload:
            m->buf.append(reinterpret_cast<const char*>(ev.payload.data()), ev.payload.size());
            break;
        case ws::event_kind::message_end: co_return message_end::message;
        case ws::event_kind::control:
            if (ev.op == ws::opcode::ping) {
                co_await answer_ping(a, pipe, ev.payload, until);
            } else if (ev.op == ws::opcode::close) {
                m->close_code = ev.close_code;
                m->close_reason = std::string(ev.close_reason());
                co_return message_end::closed;
            }
            break;
        case ws::event_kind::need_more: break;
        }
    }
}

rt::task<bool> send_message(attempt& a, byte_pipe& pipe, bool binary, std::string_view bytes, rt::deadline until)
{
    std::vector<std::uint8_t> frame(bytes.size() + ws::max_header_size);
    const auto key = next_mask(*a.env.entropy);
    const auto payload = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    auto n = binary ? ws::build_binary(frame, payload, key) : ws::build_text(frame, bytes, key);
    if (!n) {
        co_return false;
    }
    const bool sent = co_await send_frame(pipe, std::span<const std::uint8_t>(frame.data(), *n), until);
    co_return sent;
}

std::string printable_preview(std::string_view bytes)
{
    return preview(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

// A close frame arrived during phase p. With --expect-close matching it, the check succeeded;
// otherwise it is down, explained by the preset's close-code map when there is one.
bool handle_close(attempt& a, ws_state& st, phase p, const message_state& m, std::int64_t since_upgrade_ns,
                  const app::session* app)
{
    st.server_close_seen = true;
    st.server_code = m.close_code;
    st.server_reason = m.close_reason;
    a.res.close.by = proto::closed_by::server;
    a.res.close.code = m.close_code;
    a.res.close.reason = m.close_reason;
    if (a.spec.expect_close && a.spec.expect_close->contains(m.close_code)) {
        st.expected_close = true;
        return true;
    }
    st.failed = true;
    if (a.spec.expect_close) {
        const auto v = a.spec.expect_close->match(m.close_code, m.close_reason);
        a.res.fail(p, v.error, v.sentence);
        return false;
    }
    const std::string when =
        since_upgrade_ns < 1'000'000 ? "right after the upgrade" : proto::format_ms(since_upgrade_ns) + " after the upgrade";
    const std::string meaning = app != nullptr ? app->describe_close(m.close_code, m.close_reason)
                                               : close_words(m.close_code, m.close_reason);
    a.res.fail(p, errc::server_closed, "The server closed the WebSocket with " + meaning + " " + when);
    return false;
}

void fail_message_read(attempt& a, ws_state& st, phase p, const message_state& m, std::int64_t since_upgrade_ns,
                       proto::millis timeout, std::string_view waiting_for)
{
    fail_read(a, st, p, m.end, since_upgrade_ns, timeout);
    if (m.end.what == read_outcome::kind::error && m.end.error == rt::errc::timeout) {
        const std::string sentence =
            "No " + std::string(waiting_for) + " within " + ms_text(timeout) +
            (m.buf.empty() ? std::string() : "; last message: \"" + printable_preview(m.buf) + "\"");
        a.res.fail(p, p == phase::app_init ? wsp::error(errc::app_init_timeout) : wsp::error(errc::rtt_timeout), sentence);
    }
}

rt::task<bool> send_all_outgoing(attempt& a, byte_pipe& pipe, const std::vector<app::outgoing>& out, rt::deadline until)
{
    for (const auto& o : out) {
        if (a.env.transcript) {
            a.res.transcript += "> [app] " + app::to_string(o) + "\n";
        }
        const bool sent = co_await send_message(a, pipe, o.kind == app::frame_kind::binary, o.bytes, until);
        if (!sent) {
            co_return false;
        }
    }
    co_return true;
}

// Feeds messages to a preset step function (init or rtt) until done, failed, closed or timeout.
// Returns true when the step function reported done.
rt::task<bool> drive_preset(attempt& a, byte_pipe& pipe, frame_reader& rd, ws_state& st, app::session& s, phase p,
                            bool rtt, std::int64_t upgraded_ns, std::int64_t started_ns, proto::millis timeout)
{
    const rt::deadline until = a.until(timeout);
    message_state m;
    for (;;) {
        const message_end got = co_await next_message(a, pipe, rd, until, &m);
        if (got == message_end::closed) {
            a.res.set_duration(p, m.stamp_ns - started_ns);
            (void)handle_close(a, st, p, m, m.stamp_ns - upgraded_ns, &s);
            co_return false; // stop here: an expected close ends the check as a success
        }
        if (got == message_end::failed) {
            a.res.set_duration(p, m.stamp_ns - started_ns);
            fail_message_read(a, st, p, m, m.stamp_ns - upgraded_ns, timeout,
                              rtt ? "reply to the " + std::string(a.spec.app->preset->name) + " round trip"
                                  : std::string(a.spec.app->preset->name) + " init answer");
            co_return false;
        }
        if (a.env.transcript) {
            a.res.transcript += "< [app] " + printable_preview(m.buf) + "\n";
        }
        const auto kind = m.binary ? app::frame_kind::binary : app::frame_kind::text;
        app::step step = rtt ? s.on_rtt_message(kind, m.buf) : s.on_init_message(kind, m.buf);
        if (!step.send.empty()) {
            const bool sent = co_await send_all_outgoing(a, pipe, step.send, until);
            if (!sent) {
                st.failed = true;
                a.res.fail(p, errc::connection_reset, "The connection failed while answering the server");
                co_return false;
            }
        }
        if (step.kind == app::step_kind::done) {
            a.res.set_duration(p, m.stamp_ns - started_ns);
            co_return true;
        }
        if (step.kind == app::step_kind::failed) {
            a.res.set_duration(p, m.stamp_ns - started_ns);
            st.failed = true;
            a.res.fail(p, step.error, step.sentence);
            co_return false;
        }
    }
}

} // namespace

// app_init phase: the preset's opening messages and the server's acceptance.
rt::task<bool> app_init(attempt& a, byte_pipe& pipe, frame_reader& rd, ws_state& st, app::session& s,
                        std::int64_t upgraded_ns)
{
    const std::int64_t start = rt::mono_now();
    const bool sent = co_await send_all_outgoing(a, pipe, s.start(), a.until(a.spec.timeouts.app_init));
    if (!sent) {
        st.failed = true;
        a.res.fail(phase::app_init, errc::connection_reset, "The connection failed while sending the init message");
        co_return false;
    }
    const bool ok = co_await drive_preset(a, pipe, rd, st, s, phase::app_init, false, upgraded_ns, start,
                                          a.spec.timeouts.app_init);
    co_return ok;
}

// RTT through the preset's own request/response primitive.
rt::task<bool> app_round_trip(attempt& a, byte_pipe& pipe, frame_reader& rd, ws_state& st, app::session& s,
                              std::int64_t upgraded_ns)
{
    const std::int64_t start = rt::mono_now();
    const bool sent = co_await send_all_outgoing(a, pipe, s.rtt_request(), a.until(a.spec.timeouts.rtt));
    if (!sent) {
        st.failed = true;
        a.res.fail(phase::rtt, errc::connection_reset, "The connection failed while sending the RTT request");
        co_return false;
    }
    const bool ok = co_await drive_preset(a, pipe, rd, st, s, phase::rtt, true, upgraded_ns, start, a.spec.timeouts.rtt);
    if (ok) {
        a.res.rtt_ns = a.res.duration(phase::rtt);
    }
    co_return ok;
}

// Scripted exchanges: each step sends (optionally) and matches the next message (optionally).
// They run in the rtt phase; the first reply's time is the round trip.
rt::task<bool> run_steps(attempt& a, byte_pipe& pipe, frame_reader& rd, ws_state& st, std::int64_t upgraded_ns)
{
    const std::int64_t start = rt::mono_now();
    std::int64_t sent_ns = upgraded_ns; // a step without --send times from the upgrade
    message_state m;
    std::size_t index = 0;
    for (const auto& step : a.spec.steps) {
        ++index;
        const rt::deadline until = a.until(a.spec.timeouts.rtt);
        if (step.send) {
            if (a.env.transcript) {
                a.res.transcript += "> [step " + std::to_string(index) + "] " + printable_preview(step.send->bytes) + "\n";
            }
            sent_ns = rt::mono_now();
            const bool sent = co_await send_message(a, pipe, step.send->binary, step.send->bytes, until);
            if (!sent) {
                st.failed = true;
                a.res.fail(phase::rtt, errc::connection_reset, "The connection failed while sending step " + std::to_string(index));
                co_return false;
            }
        }
        if (step.expect.empty()) {
            continue;
        }
        const message_end got = co_await next_message(a, pipe, rd, until, &m);
        a.res.set_duration(phase::rtt, std::max<std::int64_t>(0, m.stamp_ns - std::min(start, sent_ns)));
        if (got == message_end::closed) {
            (void)handle_close(a, st, phase::rtt, m, m.stamp_ns - upgraded_ns, nullptr);
            co_return false; // stop here: an expected close ends the check as a success
        }
        if (got == message_end::failed) {
            fail_message_read(a, st, phase::rtt, m, m.stamp_ns - upgraded_ns, a.spec.timeouts.rtt,
                              "reply to step " + std::to_string(index));
            co_return false;
        }
        if (a.env.transcript) {
            a.res.transcript += "< [step " + std::to_string(index) + "] " + printable_preview(m.buf) + "\n";
        }
        if (!a.res.rtt_ns) {
            a.res.rtt_ns = std::max<std::int64_t>(0, m.stamp_ns - sent_ns);
        }
        for (const auto& e : step.expect) {
            const auto v = e.match(m.binary, m.buf);
            if (!v.ok()) {
                st.failed = true;
                a.res.fail(phase::rtt, v.error, "Step " + std::to_string(index) + ": " + v.sentence);
                co_return false;
            }
        }
    }
    co_return true;
}

// --expect-close: waits (RTT timeout) for the server's close frame and judges its code.
rt::task<void> await_expected_close(attempt& a, byte_pipe& pipe, frame_reader& rd, ws_state& st, std::int64_t upgraded_ns)
{
    const std::int64_t start = rt::mono_now();
    message_state m;
    for (;;) {
        const message_end got = co_await next_message(a, pipe, rd, a.until(a.spec.timeouts.rtt), &m);
        if (got == message_end::message) {
            continue; // data before the close is allowed
        }
        a.res.set_duration(phase::close, std::max<std::int64_t>(0, m.stamp_ns - start));
        if (got == message_end::closed) {
            (void)handle_close(a, st, phase::close, m, m.stamp_ns - upgraded_ns, nullptr);
            co_return;
        }
        st.failed = true;
        if (m.end.what == read_outcome::kind::eof) {
            st.eof_seen = true;
        }
        const auto v = a.spec.expect_close->match(std::nullopt);
        a.res.fail(phase::close, v.error,
                   m.end.what == read_outcome::kind::eof
                       ? v.sentence + " (the TCP connection closed without a close frame)"
                       : v.sentence + " (nothing within " + ms_text(a.spec.timeouts.rtt) + ")");
        co_return;
    }
}

rt::task<bool> init_and_round_trip(attempt& a, byte_pipe& pipe, frame_reader& rd, ws_state& st,
                                  std::int64_t upgraded_ns)
{
    const check_spec& spec = a.spec;
    std::unique_ptr<app::session> app_session;
    bool going = true;
    // Every co_await stands in a statement of its own: g++ 12 has miscompiled co_await inside
    // conditions and short-circuit expressions (seen in the lab server).
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
    co_return going;
}

rt::task<void> websocket_phases(attempt& a, byte_pipe& pipe, frame_reader& rd, ws_state& st,
                                std::int64_t upgraded_ns)
{
    const check_spec& spec = a.spec;
    bool going = co_await init_and_round_trip(a, pipe, rd, st, upgraded_ns);
    if (going && !st.server_close_seen && !spec.steps.empty()) {
        going = co_await run_steps(a, pipe, rd, st, upgraded_ns);
    }
    if (going && !st.server_close_seen && spec.expect_close) {
        co_await await_expected_close(a, pipe, rd, st, upgraded_ns);
    }
    co_await close_phase(a, pipe, rd, st, upgraded_ns);
}

} // namespace wsp::probe::detail
