// A lab connection: head, answer, WebSocket phase. Echo follows RFC 6455 §5.4 (reassembly), §5.5.2
// (ping -> pong), §7.1.1 (the server closes TCP first) and §7.4.1 (1002, 1007, 1009 on failure).
// Each co_await here is a statement of its own, never inside a condition or a short-circuit
// expression: g++ 12 miscompiled `if (co_await ...)` in one of these coroutines (SIGILL on a
// resume index it did not expect).
#include "tools/lab/session.h"

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include "engine/runtime/ops.h"
#include "http1/parser.h"
#include "tools/lab/answer.h"
#include "tools/lab/apps.h"
#include "tools/lab/h2_connection.h"
#include "tools/lab/h2_routes.h"
#include "tools/lab/log.h"
#include "tools/lab/tls_pipe.h"
#include "ws/decoder.h"
#include "ws/error.h"
#include "ws/frame.h"

namespace wsp::lab {

// RFC 6455 §7.4.1: 1007 for data inconsistent with the message type (invalid UTF-8), 1009 for a
// message too big to process, 1002 for every other protocol error.
std::uint16_t close_code_for(wsp::error e) noexcept
{
    if (e == ws::errc::invalid_utf8 || e == ws::errc::close_reason_invalid_utf8) {
        return 1007;
    }
    if (e == ws::errc::message_too_large) {
        return 1009;
    }
    return 1002;
}

namespace {

using namespace std::chrono_literals;

// Echo mode wakes this often while idle, so a receive parked on an empty buffer ring (which has
// no SQE for SHUT_RD or a cancel to end) still has a timer shutdown can fire.
constexpr std::chrono::milliseconds idle_wake{60'000};
// A server frame header is at most 10 bytes (no mask, §5.2); message buffers reserve it up front
// so the reply is sent in one piece.
constexpr std::size_t reply_header_room = 10;

// h2: the connection starts with the HTTP/2 client preface (RFC 9113 §3.4), not a request head.
enum class head_status : std::uint8_t { complete = 0, malformed = 1, timeout = 2, closed = 3, h2 = 4 };

struct head_read {
    head_status status = head_status::closed;
    std::size_t head_length = 0;
    wsp::error error{};
};

// Checks the bytes so far; the header storage lives on this (synchronous) frame, not the
// coroutine's.
wsp::expected<http1::parse_result> check_head(const std::vector<std::uint8_t>& buf, std::size_t prev_len) noexcept
{
    std::array<http1::header, 64> storage{};
    http1::request_head head;
    const std::string_view text(reinterpret_cast<const char*>(buf.data()), buf.size());
    return http1::parse_request(text, prev_len, storage, head);
}

template <class Pipe>
rt::task<head_read> read_head(session_env* env, Pipe* pipe, std::vector<std::uint8_t>* buf)
{
    // Slow-loris bound: the whole head within head_timeout of the accept.
    const rt::deadline until = rt::deadline::after(env->limits.head_timeout);
    std::size_t prev_len = 0;
    for (;;) {
        auto c = co_await pipe->recv(until);
        if (!c.is_data()) {
            co_return head_read{c.error() == rt::errc::timeout ? head_status::timeout : head_status::closed, 0, {}};
        }
        const auto bytes = c.bytes();
        buf->insert(buf->end(), bytes.begin(), bytes.end());
        c.release();
        const preface_match pm = match_h2_preface(*buf);
        if (pm != preface_match::no) {
            if (pm == preface_match::full) {
                co_return head_read{head_status::h2, 0, {}};
            }
            continue;
        }
        auto r = check_head(*buf, prev_len);
        if (!r) {
            co_return head_read{head_status::malformed, 0, r.error()};
        }
        if (r->complete()) {
            co_return head_read{head_status::complete, r->head_length, {}};
        }
        prev_len = buf->size();
    }
}

template <class Pipe>
rt::task<bool> send_bytes(session_env* env, Pipe* pipe, std::span<const std::uint8_t> data)
{
    // After shutdown started no new timer is armed: the cluster's drain cancels what is stuck.
    const rt::deadline d = env->stopping ? rt::deadline::never() : rt::deadline::after(env->limits.send_timeout);
    const rt::io_result r = co_await pipe->send(data, d);
    co_return r.res >= 0 && static_cast<std::size_t>(r.res) == data.size();
}

// True when the wait ran to its end (false: cancelled by shutdown).
rt::task<bool> pause(session_env* env, std::uint32_t ms)
{
    if (ms == 0 || env->stopping) {
        co_return !env->stopping;
    }
    const rt::io_result r = co_await rt::sleep_op(*env->reactor, std::chrono::milliseconds(ms));
    co_return r.res == 0 && !env->stopping;
}

struct ws_params {
    ws_mode mode = ws_mode::echo;
    std::uint32_t reply_delay_ms = 0;
    rt::deadline kill_at = rt::deadline::never();  // idle-kill: FIN without a close frame
    rt::deadline give_up = rt::deadline::never();  // await_close: stop waiting for the client
    std::optional<app_route> app;                  // ws_mode::app
};

enum class ws_exit : std::uint8_t {
    close_first = 0, // FIN, drain, close (after a close exchange, a kill, or a give-up)
    peer_gone = 1,   // EOF or a socket error: close now
    abort = 2,       // the client stopped reading: RST
    stopped = 3,     // shutdown
};

// The frame header goes right before the payload in the room reserved at the front of `msg`.
std::span<const std::uint8_t> frame_in_place(std::vector<std::uint8_t>& msg, ws::opcode op)
{
    const std::uint64_t len = msg.size() - reply_header_room;
    const std::size_t hs = ws::header_size(len, false);
    ws::frame_header h;
    h.op = op;
    h.payload_length = len;
    const std::size_t at = reply_header_room - hs;
    (void)ws::encode_header(h, std::span(msg).subspan(at, hs));
    return std::span<const std::uint8_t>(msg).subspan(at);
}

enum class app_next : std::uint8_t { go_on = 0, close_first = 1, abort = 2 };

// Sends an app server's reaction; a close turns the connection into await_close, a drop ends it.
template <class Pipe>
rt::task<app_next> app_react(session_env* env, Pipe* pipe, ws_params* p, app_reaction r, std::vector<std::uint8_t>* out)
{
    out->clear();
    append_reaction_frames(r, *out);
    if (!out->empty()) {
        const bool sent = co_await send_bytes(env, pipe, *out);
        if (!sent) {
            co_return app_next::abort;
        }
    }
    if (r.drop) {
        co_return app_next::close_first;
    }
    if (r.close) {
        p->mode = ws_mode::await_close;
        p->give_up = rt::deadline::after(env->limits.close_timeout);
    }
    co_return app_next::go_on;
}

// `params` belongs to the caller's frame, which awaits this task (not copied: an idle connection
// keeps this frame for hours, so its size is the lab's per-connection memory).
template <class Pipe>
rt::task<ws_exit> websocket_phase(session_env* env, Pipe* pipe, ws_params* params, pooled_buffer leftover,
                                  std::size_t offset)
{
    ws_params& p = *params;
    using chunk_type = decltype(pipe->recv(rt::deadline{}).await_resume());
    ws::decoder_options opts;
    opts.local = ws::role::server;
    opts.max_message_size = env->limits.max_message_size;
    ws::decoder dec(opts);
    pooled_buffer msg;
    std::optional<chunk_type> current;
    std::array<std::uint8_t, 2 + ws::max_control_payload> control{};
    std::span<std::uint8_t> in = std::span(leftover.bytes()).subspan(offset);
    std::unique_ptr<app_server> app; // app mode only: echo connections do not carry its state
    std::vector<std::uint8_t> app_out;
    if (p.mode == ws_mode::app && p.app) {
        app = std::make_unique<app_server>(*p.app);
        const app_next n = co_await app_react(env, pipe, &p, app->on_open(), &app_out);
        if (n == app_next::abort) {
            co_return ws_exit::abort;
        }
        if (n == app_next::close_first) {
            co_return ws_exit::close_first;
        }
    }
    for (;;) {
        auto r = dec.next(in);
        if (!r) {
            if (p.mode != ws_mode::echo) {
                co_return ws_exit::close_first;
            }
            // RFC 6455 §7.1.7: fail the connection: a close frame with the reason, then close.
            auto n = ws::build_close(control, close_code_for(r.error()), r.error().name(), std::nullopt);
            if (n) {
                const bool sent = co_await send_bytes(env, pipe, std::span(control).first(*n));
                if (!sent) {
                    co_return ws_exit::abort;
                }
            }
            co_return ws_exit::close_first;
        }
        in = in.subspan(r->consumed);
        const ws::event& ev = r->ev;
        switch (ev.kind) {
        case ws::event_kind::need_more: {
            current.reset();
            leftover.release();
            if (env->stopping) {
                co_return ws_exit::stopped;
            }
            const std::int64_t wake = rt::deadline::after(idle_wake).at_ns;
            const rt::deadline d{std::min({wake, p.kill_at.at_ns, p.give_up.at_ns})};
            current.emplace(co_await pipe->recv(d));
            if (current->is_data()) {
                in = current->bytes();
                break;
            }
            if (current->is_eof()) {
                // On shutdown the lab itself ends receives with SHUT_RD: that EOF is not the peer's.
                co_return env->stopping ? ws_exit::stopped : ws_exit::peer_gone;
            }
            if (current->error() != rt::errc::timeout) {
                co_return env->stopping ? ws_exit::stopped : ws_exit::peer_gone;
            }
            const std::int64_t now = rt::mono_now();
            if (now >= p.kill_at.at_ns || now >= p.give_up.at_ns) {
                co_return ws_exit::close_first;
            }
            in = {};
            break;
        }
        case ws::event_kind::frame_header:
            if (p.mode == ws_mode::drop_on_first) {
                co_return ws_exit::close_first;
            }
            if ((p.mode == ws_mode::echo || p.mode == ws_mode::app) && !msg.held()) {
                msg = env->pool->take();
                msg.bytes().resize(reply_header_room);
            }
            break;
        case ws::event_kind::payload:
            if (p.mode == ws_mode::echo || p.mode == ws_mode::app) {
                msg.bytes().insert(msg.bytes().end(), ev.payload.begin(), ev.payload.end());
            }
            break;
        case ws::event_kind::message_end:
            if (p.mode == ws_mode::app && app) {
                const auto& b = msg.bytes();
                const std::string_view data(reinterpret_cast<const char*>(b.data()) + reply_header_room,
                                            b.size() - reply_header_room);
                app_reaction reaction = app->on_message(ev.op == ws::opcode::binary, data);
                msg.release();
                const app_next n = co_await app_react(env, pipe, &p, std::move(reaction), &app_out);
                if (n == app_next::abort) {
                    co_return ws_exit::abort;
                }
                if (n == app_next::close_first) {
                    co_return ws_exit::close_first;
                }
                break;
            }
            if (p.mode == ws_mode::echo) {
                env->counters->messages.fetch_add(1, std::memory_order_relaxed);
                const auto frame = frame_in_place(msg.bytes(), ev.op);
                const bool waited = co_await pause(env, p.reply_delay_ms);
                if (!waited) {
                    co_return ws_exit::stopped;
                }
                const bool sent = co_await send_bytes(env, pipe, frame);
                if (!sent) {
                    co_return ws_exit::abort;
                }
                msg.release();
            }
            break;
        case ws::event_kind::control:
            if (p.mode == ws_mode::drop_on_first) {
                co_return ws_exit::close_first;
            }
            if (p.mode == ws_mode::await_close && ev.op == ws::opcode::close) {
                co_return ws_exit::close_first;
            }
            if ((p.mode != ws_mode::echo && p.mode != ws_mode::app) || ev.op == ws::opcode::pong) {
                break;
            }
            if (ev.op == ws::opcode::ping) {
                // RFC 6455 §5.5.2: a pong carries the ping's application data.
                const auto n = ws::build_pong(control, ev.payload, std::nullopt);
                const bool waited = co_await pause(env, p.reply_delay_ms);
                if (!waited) {
                    co_return ws_exit::stopped;
                }
                if (n) {
                    const bool sent = co_await send_bytes(env, pipe, std::span(control).first(*n));
                    if (!sent) {
                        co_return ws_exit::abort;
                    }
                }
                break;
            }
            {
                // RFC 6455 §5.5.1: answer a close with a close, echoing the status code (an empty
                // close, 1005, is answered empty); then the server closes TCP first (§7.1.1).
                const auto n = ws::build_close(control, ev.close_code, {}, std::nullopt);
                if (n) {
                    const bool sent = co_await send_bytes(env, pipe, std::span(control).first(*n));
                    if (!sent) {
                        co_return ws_exit::abort;
                    }
                }
                co_return ws_exit::close_first;
            }
        }
    }
}

// RFC 6455 §7.4.1 1001: the lab is going away; sent to echo connections on shutdown.
template <class Pipe>
rt::task<void> going_away(session_env* env, Pipe* pipe)
{
    std::array<std::uint8_t, 32> frame{};
    auto n = ws::build_close(frame, 1001, "lab shutting down", std::nullopt);
    if (n) {
        (void)co_await send_bytes(env, pipe, std::span(frame).first(*n));
    }
}

// Silent: never read (bytes the client sends stay in the socket and its window fills up), never
// send, until the hold bound.
template <class Pipe>
rt::task<void> hold_silent(session_env* env, Pipe* pipe)
{
    co_await pipe->stop_receiving();
    const bool held = co_await pause(env, static_cast<std::uint32_t>(env->limits.hold_timeout.count()));
    if (held) {
        co_await close_first(env, pipe);
    } else {
        co_await pipe->close(rt::close_mode::graceful);
    }
}

// Blackhole: read and drop everything, answer nothing (not even a close), until EOF or the idle
// bound.
template <class Pipe>
rt::task<void> discard_all(session_env* env, Pipe* pipe)
{
    for (;;) {
        auto c = co_await pipe->recv(rt::deadline::after(env->limits.hold_timeout));
        if (!c.is_data()) {
            break;
        }
    }
    co_await pipe->close(rt::close_mode::graceful);
}

template <class Pipe>
rt::task<void> finish(session_env* env, Pipe* pipe, ws_exit how, ws_mode mode)
{
    switch (how) {
    case ws_exit::close_first: co_await close_first(env, pipe); break;
    case ws_exit::abort: co_await pipe->close(rt::close_mode::abort); break;
    case ws_exit::stopped:
        if (mode == ws_mode::echo) {
            co_await going_away(env, pipe);
        }
        co_await pipe->close(rt::close_mode::graceful);
        break;
    case ws_exit::peer_gone: co_await pipe->close(rt::close_mode::graceful); break;
    }
}

// What the handshake leaves for the WebSocket phase. `upgraded` false: the connection was
// answered (or dropped) and closed already.
struct upgrade_plan {
    bool upgraded = false;
    bool h2 = false; // the client sent the HTTP/2 preface: `head` holds every byte read
    ws_params params;
    pooled_buffer head;      // bytes past the head (client frames sent early) start at `offset`
    std::size_t offset = 0;
};

void log_answer(session_env* env, const answer& a, std::string_view note)
{
    if (env->log != nullptr) {
        env->log->connection(a.method, a.path, a.routed ? to_string(a.kind) : std::string_view("-"), a.status, note);
    }
}

// Reads the head, sends the answer, and either closes (plain HTTP answers, resets, failures) or
// hands the upgraded connection on. Its frame (head parsing, the answer) is freed before the
// long-lived WebSocket phase starts, which keeps an idle connection small.
template <class Pipe>
rt::task<upgrade_plan> handshake(session_env* env, Pipe* pipe)
{
    pooled_buffer head = env->pool->take();
    const head_read h = co_await read_head(env, pipe, &head.bytes());
    if (h.status == head_status::timeout || h.status == head_status::closed) {
        env->counters->no_request.fetch_add(1, std::memory_order_relaxed);
        answer none;
        none.method = "-";
        none.path = "-";
        log_answer(env, none, h.status == head_status::timeout ? "no request head in time" : "closed before a request");
        head.release();
        co_await pipe->close(rt::close_mode::graceful);
        co_return upgrade_plan{};
    }
    if (h.status == head_status::h2) {
        upgrade_plan plan;
        plan.h2 = true;
        plan.head = std::move(head);
        co_return plan;
    }
    pooled_buffer out = env->pool->take();
    const answer a = h.status == head_status::complete
                         ? answer_request(std::string_view(reinterpret_cast<const char*>(head.bytes().data()),
                                                           h.head_length),
                                          out.bytes(), env->next_seed++)
                         : answer_parse_error(h.error, out.bytes());
    log_answer(env, a, {});
    const bool waited = co_await pause(env, a.delay_before_ms);
    if (!waited) {
        co_await pipe->close(rt::close_mode::graceful);
        co_return upgrade_plan{};
    }
    // Counted before the bytes leave, so a client that has read the answer sees the count.
    if (a.next == after_answer::websocket) {
        env->counters->upgraded.fetch_add(1, std::memory_order_relaxed);
    } else if (a.status != 0) {
        env->counters->answered.fetch_add(1, std::memory_order_relaxed);
    }
    if (a.next == after_answer::reset) {
        // RST instead of an answer: SO_LINGER {1, 0} then close.
        co_await pipe->close(rt::close_mode::abort);
        co_return upgrade_plan{};
    }
    bool sent = true;
    if (!out.bytes().empty()) {
        sent = co_await send_bytes(env, pipe, out.bytes());
    }
    if (!sent) {
        co_await pipe->close(rt::close_mode::abort);
        co_return upgrade_plan{};
    }
    out.release();
    if (a.next == after_answer::close) {
        head.release();
        co_await close_first(env, pipe);
        co_return upgrade_plan{};
    }
    upgrade_plan plan;
    plan.upgraded = true;
    plan.params.mode = a.mode;
    plan.params.reply_delay_ms = a.reply_delay_ms;
    plan.params.app = a.app;
    if (a.kill) {
        plan.params.kill_at = rt::deadline::after(std::chrono::milliseconds(a.kill_after_ms));
    }
    if (a.mode == ws_mode::await_close) {
        plan.params.give_up = rt::deadline::after(env->limits.close_timeout);
    }
    plan.head = std::move(head);
    plan.offset = h.head_length;
    co_return plan;
}

} // namespace

template <byte_pipe Pipe>
rt::task<void> serve_connection(session_env* env, Pipe* pipe)
{
    upgrade_plan plan = co_await handshake(env, pipe);
    if (plan.h2) {
        co_await serve_h2(env, pipe, std::move(plan.head));
        co_return;
    }
    if (!plan.upgraded) {
        co_return;
    }
    if (plan.params.mode == ws_mode::silent) {
        plan.head.release();
        co_await hold_silent(env, pipe);
        co_return;
    }
    if (plan.params.mode == ws_mode::discard) {
        plan.head.release();
        co_await discard_all(env, pipe);
        co_return;
    }
    // The phase may change its params (an app close turns into await_close); finish by the mode
    // the scenario asked for.
    const ws_mode mode = plan.params.mode;
    const ws_exit how = co_await websocket_phase(env, pipe, &plan.params, std::move(plan.head), plan.offset);
    co_await finish(env, pipe, how, mode);
}

template rt::task<void> serve_connection<tcp_pipe>(session_env* env, tcp_pipe* pipe);
template rt::task<void> serve_connection<tls_pipe>(session_env* env, tls_pipe* pipe);

} // namespace wsp::lab
