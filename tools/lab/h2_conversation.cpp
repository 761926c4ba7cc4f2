// The lab's HTTP/2 connection logic: request streams planned by h2_routes, WebSocket echo over
// DATA (RFC 8441 §5: the stream carries RFC 6455 frames; END_STREAM is the orderly close, RST_STREAM
// CANCEL the abort), timers supplied by the caller.
#include "tools/lab/h2_conversation.h"

#include <algorithm>
#include <array>
#include <deque>
#include <new>
#include <string>
#include <utility>

#include "h2/error.h"
#include "tools/lab/log.h"
#include "tools/lab/session.h"
#include "ws/decoder.h"
#include "ws/error.h"
#include "ws/frame.h"

namespace wsp::lab {
namespace {

// A server frame header is at most 10 bytes (§5.2, unmasked); messages reserve it up front so the
// echo is framed in place.
constexpr std::size_t reply_header_room = 10;
// Reassembly buffers above this are freed after their message instead of kept for the next one.
constexpr std::size_t keep_message_capacity = 64 * 1024;

enum class timer_kind : std::uint8_t {
    none = 0,
    respond = 1, // slow-upgrade: send the 200 now
    kill = 2,    // idle-kill: END_STREAM without a close frame
    give_up = 3, // await_close: the client never answered our close; END_STREAM
    reply = 4,   // slow-echo: the first delayed reply is due
};

// slow-echo: replies waiting for their time, per stream. Past either bound the client is sending
// faster than the delay lets the lab answer, as a client that does not read would: the stream
// gets ENHANCE_YOUR_CALM.
constexpr std::size_t max_delayed_replies = 256;

std::int64_t after(std::int64_t now_ns, std::chrono::milliseconds d) noexcept
{
    return now_ns + static_cast<std::int64_t>(d.count()) * 1'000'000;
}

} // namespace

struct h2_conversation::stream {
    std::int32_t id = 0;
    h2_plan plan;
    ws::decoder decoder;
    std::vector<std::uint8_t> message; // echo reassembly, reply_header_room bytes at the front
    std::unique_ptr<app_server> app;   // ws_mode::app
    bool accepted = false;
    bool ended = false; // END_STREAM or RST_STREAM sent: the lab is done with the stream
    timer_kind timer = timer_kind::none;
    std::int64_t deadline = no_deadline;
    // slow-echo: frames due at a time, in order; the last may end the stream (a close answered
    // after the replies before it, as the HTTP/1.1 lab answers in turn).
    struct delayed_reply {
        std::int64_t due = 0;
        std::vector<std::uint8_t> frame;
        bool end_after = false;
    };
    std::deque<delayed_reply> delayed;
    std::size_t delayed_bytes = 0;
    bool closing = false; // slow-echo: the client's close is answered once the replies before it are
};

h2_conversation::h2_conversation(h2::server_session session, const h2_limits& limits,
                                 session_counters* counters, log_sink* log) noexcept
    : session_(std::move(session)), limits_(limits), counters_(counters), log_(log)
{
}

h2_conversation::h2_conversation(h2_conversation&&) noexcept = default;
h2_conversation& h2_conversation::operator=(h2_conversation&&) noexcept = default;
h2_conversation::~h2_conversation() = default;

wsp::expected<h2_conversation> h2_conversation::create(const h2_limits& limits, session_counters* counters,
                                                       log_sink* log)
{
    h2::server_options o;
    o.connect_protocol = limits.connect_protocol;
    o.max_concurrent_streams = limits.max_streams;
    o.initial_window_size = 64 * 1024;
    o.connection_window_size = 256 * 1024;
    // One whole echo of the largest message fits, whatever the client's window allows right now.
    o.send_buffer_limit = static_cast<std::size_t>(limits.max_message_size) + 64 * 1024;
    auto s = h2::server_session::create(o);
    if (!s) {
        return wsp::unexpected(s.error());
    }
    return h2_conversation(std::move(*s), limits, counters, log);
}

wsp::expected<void> h2_conversation::feed(std::span<const std::uint8_t> bytes, std::int64_t now_ns)
{
    now_ns_ = now_ns;
    auto fed = session_.feed(bytes);
    // Events queued before a fatal failure are still handled.
    handle_events();
    if (!fed) {
        dead_ = true;
    }
    return fed;
}

void h2_conversation::handle_events()
{
    while (auto ev = session_.next_event()) {
        on_event(*ev);
    }
    std::erase_if(streams_, [](const auto& kv) { return kv.second->ended; });
}

void h2_conversation::on_event(h2::event& ev)
{
    const auto it = streams_.find(ev.stream_id);
    stream* s = it == streams_.end() ? nullptr : it->second.get();
    switch (ev.kind) {
    case h2::event_kind::headers:
        // A second header block on a known stream is a trailer: nothing to answer.
        if (s == nullptr) {
            on_request(ev);
        }
        break;
    case h2::event_kind::data:
        if (s != nullptr) {
            on_data(*s, ev.data);
        }
        break;
    case h2::event_kind::end_of_stream:
        // RFC 8441 §5: END_STREAM is the orderly close of the tunnel (TCP FIN); the lab closes its
        // side too, except before it answered (a slow-upgrade still answers).
        if (s != nullptr && s->accepted) {
            end(*s);
        }
        break;
    case h2::event_kind::stream_reset:
    case h2::event_kind::stream_closed:
        if (s != nullptr) {
            s->ended = true;
        }
        break;
    case h2::event_kind::goaway:
        (ev.local ? goaway_sent_ : peer_goaway_) = true;
        break;
    case h2::event_kind::settings:
        break;
    }
}

void h2_conversation::on_request(const h2::event& ev)
{
    h2_plan plan = plan_h2_request(ev);
    if (log_ != nullptr) {
        const int status =
            plan.action == h2_action::accept || plan.action == h2_action::respond ? plan.status : 0;
        const std::string_view note = plan.action == h2_action::reset    ? "h2, RST_STREAM"
                                      : plan.action == h2_action::goaway ? "h2, GOAWAY"
                                                                         : "h2";
        log_->connection(plan.method, plan.path, plan.scenario_name, status, note);
    }
    if (counters_ != nullptr && plan.action != h2_action::accept) {
        counters_->answered.fetch_add(1, std::memory_order_relaxed);
    }
    const std::int32_t id = ev.stream_id;
    switch (plan.action) {
    case h2_action::reset:
        (void)session_.reset_stream(id, plan.error_code);
        return;
    case h2_action::goaway:
        (void)session_.send_goaway(plan.error_code, "wsprobe-lab scenario /h2/goaway");
        goaway_sent_ = true;
        return;
    case h2_action::respond: {
        std::vector<h2::header_view> headers;
        headers.reserve(plan.headers.size());
        for (const auto& h : plan.headers) {
            headers.push_back({h.name, h.value});
        }
        if (auto r = session_.respond(id, plan.status, headers, plan.body.empty()); !r) {
            (void)session_.reset_stream(id, h2::internal_error);
            return;
        }
        if (!plan.body.empty()) {
            const auto* b = reinterpret_cast<const std::uint8_t*>(plan.body.data());
            (void)session_.write(id, std::span(b, plan.body.size()));
            (void)session_.end_stream(id);
        }
        return;
    }
    case h2_action::accept:
        break;
    }
    // nghttp2 refuses streams beyond SETTINGS_MAX_CONCURRENT_STREAMS itself; this also bounds
    // streams the client half-closed but the lab still holds.
    if (streams_.size() >= limits_.max_streams) {
        (void)session_.reset_stream(id, h2::refused_stream);
        return;
    }
    auto st = std::unique_ptr<stream>(new (std::nothrow) stream());
    if (!st) {
        (void)session_.reset_stream(id, h2::internal_error);
        return;
    }
    ws::decoder_options opts;
    opts.local = ws::role::server;
    opts.max_message_size = limits_.max_message_size;
    st->decoder = ws::decoder(opts);
    st->id = id;
    st->plan = std::move(plan);
    stream& s = *st;
    streams_.emplace(id, std::move(st));
    if (s.plan.delay_before_ms > 0) {
        s.timer = timer_kind::respond;
        s.deadline = after(now_ns_, std::chrono::milliseconds(s.plan.delay_before_ms));
        return;
    }
    accept(s);
}

void h2_conversation::accept(stream& s)
{
    s.timer = timer_kind::none;
    s.deadline = no_deadline;
    if (auto r = session_.accept_websocket(s.id, s.plan.subprotocol); !r) {
        // A selected subprotocol that is not a valid field value: a plain 400 instead.
        (void)session_.respond(s.id, 400, {}, true);
        s.ended = true;
        return;
    }
    if (counters_ != nullptr) {
        counters_->upgraded.fetch_add(1, std::memory_order_relaxed);
    }
    s.accepted = true;
    if (!s.plan.first_bytes.empty() && !send(s, s.plan.first_bytes)) {
        return;
    }
    s.plan.first_bytes = {};
    if (s.plan.mode == ws_mode::app && s.plan.app) {
        s.app = std::make_unique<app_server>(*s.plan.app);
        if (!react(s, s.app->on_open())) {
            return;
        }
    }
    if (s.plan.mode == ws_mode::await_close && s.timer == timer_kind::none) {
        s.timer = timer_kind::give_up;
        s.deadline = after(now_ns_, limits_.close_timeout);
    } else if (s.plan.kill) {
        s.timer = timer_kind::kill;
        s.deadline = after(now_ns_, std::chrono::milliseconds(s.plan.kill_after_ms));
    }
}

void h2_conversation::on_data(stream& s, std::span<std::uint8_t> bytes)
{
    if (!s.accepted || s.ended || s.closing) {
        return;
    }
    switch (s.plan.mode) {
    case ws_mode::echo:
    case ws_mode::await_close:
    case ws_mode::app:
        echo(s, bytes);
        break;
    case ws_mode::drop_on_first:
        // RFC 8441 §5: RST_STREAM CANCEL is the tunnel's abort (TCP RST), no close frame.
        (void)session_.reset_stream(s.id, h2::cancel);
        s.ended = true;
        break;
    default:
        break; // discard: read and drop
    }
}

void h2_conversation::echo(stream& s, std::span<std::uint8_t> in)
{
    std::array<std::uint8_t, 2 + ws::max_control_payload> control{};
    while (!s.ended) {
        // An app server's close turns the stream to await_close between two frames.
        const bool echoing = s.plan.mode == ws_mode::echo;
        // The app servers get whole messages and, like echo, answer pings and closes.
        const bool answering = echoing || s.plan.mode == ws_mode::app;
        auto r = s.decoder.next(in);
        if (!r) {
            // RFC 6455 §7.1.7: fail the WebSocket: a close frame with the reason, then close.
            if (echoing) {
                auto n = ws::build_close(control, close_code_for(r.error()), r.error().name(), std::nullopt);
                if (n && !send(s, std::span(control).first(*n))) {
                    return;
                }
            }
            end(s);
            return;
        }
        in = in.subspan(r->consumed);
        const ws::event& ev = r->ev;
        switch (ev.kind) {
        case ws::event_kind::need_more:
            return;
        case ws::event_kind::frame_header:
            if (answering && s.message.empty()) {
                s.message.resize(reply_header_room);
            }
            break;
        case ws::event_kind::payload:
            if (answering) {
                s.message.insert(s.message.end(), ev.payload.begin(), ev.payload.end());
            }
            break;
        case ws::event_kind::message_end: {
            if (s.plan.mode == ws_mode::app && s.app) {
                const std::string_view data(reinterpret_cast<const char*>(s.message.data()) +
                                                reply_header_room,
                                            s.message.size() - reply_header_room);
                app_reaction reaction = s.app->on_message(ev.op == ws::opcode::binary, data);
                s.message.clear();
                if (!react(s, reaction)) {
                    return;
                }
                break;
            }
            if (!echoing) {
                break;
            }
            const std::uint64_t len = s.message.size() - reply_header_room;
            const std::size_t hs = ws::header_size(len, false);
            ws::frame_header h;
            h.op = ev.op;
            h.payload_length = len;
            const std::size_t at = reply_header_room - hs;
            (void)ws::encode_header(h, std::span(s.message).subspan(at, hs));
            if (counters_ != nullptr) {
                counters_->messages.fetch_add(1, std::memory_order_relaxed);
            }
            const bool sent = reply(s, std::span<const std::uint8_t>(s.message).subspan(at), true, false);
            s.message.clear();
            if (s.message.capacity() > keep_message_capacity) {
                s.message.shrink_to_fit();
            }
            if (!sent) {
                return;
            }
            break;
        }
        case ws::event_kind::control:
            if (ev.op == ws::opcode::close) {
                // RFC 6455 §5.5.1: answer a close with a close echoing the code (1005: empty), then
                // the server closes first (§7.1.1): END_STREAM. In await_close ours went out already.
                if (answering) {
                    auto n = ws::build_close(control, ev.close_code, {}, std::nullopt);
                    if (n) {
                        (void)reply(s, std::span(control).first(*n), false, true);
                        return;
                    }
                }
                end(s);
                return;
            }
            if (answering && ev.op == ws::opcode::ping) {
                // RFC 6455 §5.5.2: a pong carries the ping's application data.
                auto n = ws::build_pong(control, ev.payload, std::nullopt);
                if (n && !reply(s, std::span(control).first(*n), true, false)) {
                    return;
                }
            }
            break;
        }
    }
}

bool h2_conversation::react(stream& s, const app_reaction& r)
{
    std::vector<std::uint8_t> out;
    append_reaction_frames(r, out);
    if (!out.empty() && !send(s, out)) {
        return false;
    }
    if (r.drop) {
        // RFC 8441 §5: the server closing TCP without a close frame is END_STREAM on the tunnel.
        end(s);
        return false;
    }
    if (r.close) {
        s.plan.mode = ws_mode::await_close;
        s.timer = timer_kind::give_up;
        s.deadline = after(now_ns_, limits_.close_timeout);
    }
    return true;
}

bool h2_conversation::reply(stream& s, std::span<const std::uint8_t> frame, bool delay, bool end_after)
{
    const std::uint32_t ms = delay ? s.plan.reply_delay_ms : 0;
    if (ms == 0 && s.delayed.empty()) {
        if (!send(s, frame)) {
            return false;
        }
        if (end_after) {
            end(s);
        }
        return !s.ended;
    }
    if (s.delayed.size() >= max_delayed_replies ||
        s.delayed_bytes + frame.size() > limits_.max_message_size + 64 * 1024) {
        (void)session_.reset_stream(s.id, h2::enhance_your_calm);
        s.ended = true;
        return false;
    }
    // Each reply `ms` after the later of its request and the reply before it, as the HTTP/1.1
    // lab, which pauses before each answer in turn.
    const std::int64_t from = s.delayed.empty() ? now_ns_ : std::max(now_ns_, s.delayed.back().due);
    s.delayed.push_back(
        {after(from, std::chrono::milliseconds(ms)), {frame.begin(), frame.end()}, end_after});
    s.delayed_bytes += frame.size();
    s.closing = s.closing || end_after;
    s.timer = timer_kind::reply;
    s.deadline = s.delayed.front().due;
    return true;
}

void h2_conversation::send_due_replies(stream& s)
{
    while (!s.delayed.empty() && s.delayed.front().due <= now_ns_) {
        stream::delayed_reply r = std::move(s.delayed.front());
        s.delayed.pop_front();
        s.delayed_bytes -= r.frame.size();
        if (!send(s, r.frame)) {
            return;
        }
        if (r.end_after) {
            end(s);
            return;
        }
    }
    s.timer = s.delayed.empty() ? timer_kind::none : timer_kind::reply;
    s.deadline = s.delayed.empty() ? no_deadline : s.delayed.front().due;
}

bool h2_conversation::send(stream& s, std::span<const std::uint8_t> bytes)
{
    if (s.ended) {
        return false;
    }
    auto r = session_.write(s.id, bytes);
    if (!r) {
        if (r.error() == h2::errc::send_buffer_full) {
            // The client does not read what the lab sends: stop the stream instead of buffering more.
            (void)session_.reset_stream(s.id, h2::enhance_your_calm);
        }
        s.ended = true;
        return false;
    }
    return true;
}

void h2_conversation::end(stream& s)
{
    if (!s.ended) {
        (void)session_.end_stream(s.id);
        s.ended = true;
    }
}

void h2_conversation::on_time(std::int64_t now_ns)
{
    now_ns_ = now_ns;
    for (auto& [id, sp] : streams_) {
        stream& s = *sp;
        if (s.ended || s.deadline > now_ns) {
            continue;
        }
        switch (s.timer) {
        case timer_kind::respond:
            accept(s);
            break;
        case timer_kind::kill:
        case timer_kind::give_up:
            end(s);
            break;
        case timer_kind::reply:
            send_due_replies(s);
            break;
        case timer_kind::none:
            break;
        }
    }
    std::erase_if(streams_, [](const auto& kv) { return kv.second->ended; });
}

std::int64_t h2_conversation::next_deadline_ns() const noexcept
{
    std::int64_t next = no_deadline;
    for (const auto& [id, s] : streams_) {
        if (!s->ended && s->timer != timer_kind::none) {
            next = std::min(next, s->deadline);
        }
    }
    return next;
}

wsp::expected<std::size_t> h2_conversation::drain_output(std::vector<std::uint8_t>& out)
{
    auto n = session_.drain_output(out);
    // Sending queues events too (our RST_STREAMs, a GOAWAY nghttp2 sent on a protocol error).
    handle_events();
    if (!n) {
        dead_ = true;
    }
    return n;
}

void h2_conversation::going_away()
{
    std::array<std::uint8_t, 2 + ws::max_control_payload> control{};
    for (auto& [id, sp] : streams_) {
        stream& s = *sp;
        if (!s.accepted) {
            // RFC 9113 §8.7: REFUSED_STREAM tells the client the request was not processed.
            (void)session_.reset_stream(s.id, h2::refused_stream);
            s.ended = true;
            continue;
        }
        if (s.plan.mode == ws_mode::echo) {
            // RFC 6455 §7.4.1 1001: the lab is going away.
            auto n = ws::build_close(control, 1001, "lab shutting down", std::nullopt);
            if (n) {
                (void)send(s, std::span(control).first(*n));
            }
        }
        end(s);
    }
    std::erase_if(streams_, [](const auto& kv) { return kv.second->ended; });
    say_goodbye();
}

void h2_conversation::say_goodbye()
{
    if (!goaway_sent_ && !dead_) {
        (void)session_.send_goaway(h2::no_error);
        goaway_sent_ = true;
    }
}

bool h2_conversation::finished() const noexcept
{
    return dead_ || !session_.is_alive() || ((goaway_sent_ || peer_goaway_) && streams_.empty());
}

std::size_t h2_conversation::open_streams() const noexcept
{
    return streams_.size();
}

} // namespace wsp::lab
