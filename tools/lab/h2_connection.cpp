// The HTTP/2 connection loop of the lab: feed what arrives, send what the session queues, run the
// stream timers; GOAWAY (RFC 9113 §6.8) and FIN when the conversation is over.
// Each co_await is a statement of its own (g++ 12 miscompiled `if (co_await ...)`).
#include "tools/lab/h2_connection.h"

#include <algorithm>
#include <chrono>

#include "engine/runtime/clock.h"
#include "tools/lab/h2_conversation.h"

namespace wsp::lab {
namespace {

// Open streams wake the loop this often while idle, so shutdown always finds a timer to fire.
constexpr std::chrono::milliseconds idle_wake{60'000};

std::int64_t ns_after(std::int64_t now_ns, std::chrono::milliseconds d) noexcept
{
    return now_ns + static_cast<std::int64_t>(d.count()) * 1'000'000;
}

template <class Pipe>
rt::task<bool> send_all(session_env* env, Pipe* pipe, std::span<const std::uint8_t> data)
{
    const rt::deadline d =
        env->stopping ? rt::deadline::never() : rt::deadline::after(env->limits.send_timeout);
    const rt::io_result r = co_await pipe->send(data, d);
    co_return r.res >= 0 && static_cast<std::size_t>(r.res) == data.size();
}

h2_limits limits_of(const session_env& env) noexcept
{
    h2_limits l;
    l.connect_protocol = env.limits.h2_connect_protocol;
    l.max_message_size = env.limits.max_message_size;
    l.close_timeout = env.limits.close_timeout;
    return l;
}

} // namespace

template <byte_pipe Pipe> rt::task<void> serve_h2(session_env* env, Pipe* pipe, pooled_buffer received)
{
    auto made = h2_conversation::create(limits_of(*env), env->counters, env->log);
    if (!made) {
        received.release();
        co_await pipe->close(rt::close_mode::abort);
        co_return;
    }
    h2_conversation conv = std::move(*made);
    bool healthy = conv.feed(received.bytes(), rt::mono_now()).has_value();
    received.release();
    std::int64_t last_activity = rt::mono_now();
    for (;;) {
        if (env->stopping) {
            conv.going_away();
        }
        pooled_buffer out = env->pool->take();
        healthy = conv.drain_output(out.bytes()).has_value() && healthy;
        bool sent = true;
        if (!out.bytes().empty()) {
            sent = co_await send_all(env, pipe, out.bytes());
        }
        out.release();
        if (!sent) {
            co_await pipe->close(rt::close_mode::abort);
            co_return;
        }
        if (!healthy || conv.finished() || env->stopping) {
            break;
        }
        const std::int64_t now = rt::mono_now();
        const std::int64_t idle_until = conv.open_streams() > 0
                                            ? ns_after(now, idle_wake)
                                            : ns_after(last_activity, env->limits.hold_timeout);
        auto c = co_await pipe->recv(rt::deadline{std::min(conv.next_deadline_ns(), idle_until)});
        if (c.is_data()) {
            last_activity = rt::mono_now();
            healthy = conv.feed(c.bytes(), last_activity).has_value();
            c.release();
            continue;
        }
        if (c.is_eof() || c.error() != rt::errc::timeout) {
            if (env->stopping) {
                continue; // the lab's own SHUT_RD: say goodbye on the next round
            }
            co_await pipe->close(rt::close_mode::graceful);
            co_return;
        }
        const std::int64_t woke = rt::mono_now();
        conv.on_time(woke);
        if (conv.open_streams() == 0 && woke >= ns_after(last_activity, env->limits.hold_timeout)) {
            conv.say_goodbye();
        }
    }
    co_await close_first(env, pipe); // after the GOAWAY
}

template rt::task<void> serve_h2<tcp_pipe>(session_env* env, tcp_pipe* pipe, pooled_buffer received);
template rt::task<void> serve_h2<tls_pipe>(session_env* env, tls_pipe* pipe, pooled_buffer received);

} // namespace wsp::lab
