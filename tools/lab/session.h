// One lab connection, written against a byte pipe (pipe.h): read the request head (RFC 7230 §3),
// send the scenario's answer (answer.h), then run the WebSocket phase (RFC 6455 §5-§7) the way
// the scenario misbehaves.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "engine/runtime/reactor.h"
#include "engine/runtime/task.h"
#include "h2/session.h"
#include "proto/error.h"
#include "tools/lab/buffer_pool.h"
#include "tools/lab/pipe.h"

namespace wsp::lab {

class log_sink;

struct session_limits {
    std::chrono::milliseconds head_timeout{10'000};  // the whole request head must arrive within this
    std::chrono::milliseconds hold_timeout{60'000};  // silent: hold this long; blackhole: close after this idle
    std::chrono::milliseconds close_timeout{2'000};  // waiting for the client's close frame or FIN
    std::chrono::milliseconds send_timeout{10'000};  // a client that does not read is dropped (RST)
    std::uint64_t max_message_size = std::uint64_t{1} << 20; // larger messages are closed with 1009
    // RFC 8441 §3: SETTINGS_ENABLE_CONNECT_PROTOCOL on HTTP/2 connections (h2_connection.h).
    h2::connect_protocol_setting h2_connect_protocol = h2::connect_protocol_setting::enabled;
};

// Counters a server reads from any thread (relaxed; each is written by one reactor).
struct session_counters {
    std::atomic<std::uint64_t> accepted{0};
    std::atomic<std::uint64_t> active{0};       // connections currently open
    std::atomic<std::uint64_t> upgraded{0};     // 101 answers (counted just before sending)
    std::atomic<std::uint64_t> answered{0};     // other HTTP answers (status, 4xx, redirect)
    std::atomic<std::uint64_t> no_request{0};   // closed before a complete head (timeout, EOF)
    std::atomic<std::uint64_t> messages{0};     // data messages received whole in echo mode
    std::atomic<std::uint64_t> tls_failed{0};   // TLS handshakes that failed or timed out
};

// What the connections of one reactor share. Owned by that reactor's shard; every field is used
// on the reactor's thread only, except the counters.
struct session_env {
    rt::reactor* reactor = nullptr;
    session_limits limits{};
    buffer_pool* pool = nullptr;
    log_sink* log = nullptr;          // nullptr: no log lines
    session_counters* counters = nullptr;
    std::uint64_t next_seed = 0;      // varies the garbage answer per connection
    // Set by the shard on shutdown before it cancels every operation: connections then skip
    // every wait and close (echo connections first send close 1001).
    bool stopping = false;
};

// Serves one connection to completion and closes it (the pipe is closed when this returns).
// Never throws on peer input. Steady-state echo allocates nothing: head and message buffers are
// borrowed from env->pool only while in use.
template <byte_pipe Pipe>
[[nodiscard]] rt::task<void> serve_connection(session_env* env, Pipe* pipe);

extern template rt::task<void> serve_connection<tcp_pipe>(session_env* env, tcp_pipe* pipe);

// The close code a server sends when it fails a WebSocket connection for decoder error `e`.
[[nodiscard]] std::uint16_t close_code_for(wsp::error e) noexcept;

// Server closes first (RFC 6455 §7.1.1; also a plain HTTP answer with Connection: close, and an
// HTTP/2 connection after its GOAWAY): FIN, then read until the client's FIN (bounded) so unread
// bytes do not turn the close into a RST that could overtake what was sent last.
template <byte_pipe Pipe>
rt::task<void> close_first(session_env* env, Pipe* pipe)
{
    co_await pipe->shutdown_send();
    if (!env->stopping) {
        const rt::deadline until = rt::deadline::after(env->limits.close_timeout);
        for (;;) {
            auto c = co_await pipe->recv(until);
            if (!c.is_data()) {
                break;
            }
        }
    }
    co_await pipe->close(rt::close_mode::graceful);
}

} // namespace wsp::lab
