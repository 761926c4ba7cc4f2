// A held WebSocket connection (RFC 6455 §5.5 control frames, §7 closing): opened and validated
// exactly as run_check validates one (connect, TLS, upgrade, app init, RTT), then kept open for
// load runs with pings, text messages, received events and a clean close.
#pragma once

#include <coroutine>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "engine/probe/check.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/recv_stream.h"
#include "engine/runtime/task.h"
#include "proto/check_result.h"
#include "proto/check_spec.h"
#include "ws/decoder.h"

namespace wsp::probe {

namespace detail {
struct transport; // the byte pipe with its TLS / HTTP/2 state (heap; ws:// holds none of it)
}

// What a held connection saw.
enum class held_event_kind : std::uint8_t {
    message = 0,    // a whole data message arrived (length = its size)
    pong = 1,       // a pong arrived (RFC 6455 §5.5.3; length = its payload size)
    closed = 2,     // the server's close frame arrived (close_code)
    eof = 3,        // the transport ended without a close frame (close_code 1006)
    error = 4,      // invalid frame (ws errc) or transport failure (rt/tls/h2 errc); close_code 1006
    timeout = 5,    // the deadline passed; the connection is still usable
    need_input = 6, // poll(): everything received is decoded; wait for more (feed or next)
    ping = 7,       // poll(): the server pinged; answer with send_pong(payload) before polling again
};

struct held_event {
    held_event_kind kind = held_event_kind::timeout;
    std::uint16_t close_code = 0;          // closed: the server's code (1005 if none); eof/error: 1006
    std::int64_t stamp_ns = 0;             // reap time of the bytes that completed the event
    std::uint64_t length = 0;              // message: total payload bytes; pong, ping: payload bytes
    wsp::error error;                      // error only
    std::span<const std::uint8_t> payload; // ping: valid until the next poll() or next()
};

// One established, validated WebSocket connection. Create with open_ws. Reactor thread only;
// not movable (the receive stream's address is the kernel's user_data). Before destruction it
// must be finished with close() or abort(); destroying an open one calls std::terminate, as
// the kernel would still reference it.
//
// Memory while idle on ws:// over HTTP/1.1: this object (socket, multishot receive stream, the
// decoder's options) and no receive buffer: the kernel picks a ring buffer only when bytes
// arrive, and the frame decoder's state (~190 bytes) is on the heap only while a frame or a
// message is partly received. TLS and HTTP/2 connections keep their session and a 16 KiB
// plaintext buffer on the heap.
class ws_connection {
public:
    ws_connection(rt::reactor& r, rt::socket s, http1::entropy_source* entropy) noexcept;
    ws_connection(const ws_connection&) = delete;
    ws_connection& operator=(const ws_connection&) = delete;
    ~ws_connection();

    // Sends a ping (RFC 6455 §5.5.2) with `payload` (<= 125 bytes). False when the frame could
    // not be built or the transport failed (the connection is then broken: next() reports it).
    [[nodiscard]] rt::task<bool> send_ping(std::span<const std::uint8_t> payload, rt::deadline until);
    // Sends one text message (or binary when `binary`), masked (RFC 6455 §5.3).
    [[nodiscard]] rt::task<bool> send_message(std::string_view payload, bool binary, rt::deadline until);

    // The next event, answering server pings with pongs on the way (RFC 6455 §5.5.2). A timeout
    // leaves the connection usable; after closed, eof or error every call returns the same kind.
    // Holds a receive buffer only while a received chunk still has undecoded bytes.
    [[nodiscard]] rt::task<held_event> next(rt::deadline until);

    // The same in steps, for callers that keep one coroutine frame per idle connection (the
    // load driver): poll() decodes what was already received (no I/O; returns need_input when it
    // is all consumed, having returned the receive buffer); when direct(), the caller awaits
    // stream().next(until) itself and hands the chunk to feed(), which returns need_input after
    // data, or timeout, eof, error. Connections that are not direct (TLS, HTTP/2) use next().
    [[nodiscard]] held_event poll() noexcept;
    [[nodiscard]] held_event feed(rt::recv_chunk chunk) noexcept;
    [[nodiscard]] bool direct() const noexcept { return !transport_; }

    // direct() only: awaits the next received chunk with the stream's own awaiter (no coroutine
    // frame of its own) and feeds it, as stream().next() followed by feed().
    class input_awaiter {
    public:
        input_awaiter(ws_connection& c, rt::deadline until) noexcept : c_(&c), next_(c.rs_.next(until)) {}
        [[nodiscard]] bool await_ready() noexcept { return next_.await_ready(); }
        void await_suspend(std::coroutine_handle<> h) { next_.await_suspend(h); }
        [[nodiscard]] held_event await_resume() noexcept { return c_->feed(next_.await_resume()); }

    private:
        ws_connection* c_;
        rt::recv_stream::next_awaiter next_;
    };
    [[nodiscard]] input_awaiter wait_input(rt::deadline until) noexcept
    {
        return input_awaiter(*this, until);
    }
    // The same yielding only the kind: need_input (bytes arrived: poll() them), timeout, or eof
    // or error, which poll() then repeats with the code, error and stamp. Keeps a held_event
    // temporary out of the awaiting coroutine's frame.
    class input_kind_awaiter {
    public:
        input_kind_awaiter(ws_connection& c, rt::deadline until) noexcept : c_(&c), next_(c.rs_.next(until))
        {
        }
        [[nodiscard]] bool await_ready() noexcept { return next_.await_ready(); }
        void await_suspend(std::coroutine_handle<> h) { next_.await_suspend(h); }
        [[nodiscard]] held_event_kind await_resume() noexcept { return c_->feed(next_.await_resume()).kind; }

    private:
        ws_connection* c_;
        rt::recv_stream::next_awaiter next_;
    };
    [[nodiscard]] input_kind_awaiter wait_input_kind(rt::deadline until) noexcept
    {
        return input_kind_awaiter(*this, until);
    }
    // Answers a ping poll() returned (RFC 6455 §5.5.2: same payload).
    [[nodiscard]] rt::task<bool> send_pong(std::span<const std::uint8_t> payload, rt::deadline until);

    // Ends the connection: our close frame (1000, or the server's code echoed when it closed
    // first), the server's close frame and its TCP close awaited until `until` (the TCP close at
    // most `fin_wait_ns` after a clean handshake when that is not negative), then the socket
    // closed (gracefully after the server's FIN, otherwise by reset: no TIME_WAIT kept here).
    // Returns true when the close handshake completed cleanly. Idempotent.
    [[nodiscard]] rt::task<bool> close(rt::deadline until, std::int64_t fin_wait_ns = -1);
    // Ends the connection at once: receive stopped, socket reset. Idempotent.
    [[nodiscard]] rt::task<void> abort();

    [[nodiscard]] bool finished() const noexcept { return finished_; }
    // Whether frame decoder state is allocated (only while a frame or message is partly decoded,
    // or an event was just returned and poll() has not been called since).
    [[nodiscard]] bool holds_decoder() const noexcept { return dec_ != nullptr; }
    // Whether the server's close frame or the end of the transport has been seen.
    [[nodiscard]] bool ended() const noexcept { return ended_; }
    [[nodiscard]] bool secure() const noexcept;
    [[nodiscard]] bool http2() const noexcept;

    // ---- for the probe's own phases (engine/probe only) ----
    [[nodiscard]] detail::transport* transport() noexcept { return transport_.get(); }
    [[nodiscard]] rt::socket socket() const noexcept { return sock_; }
    [[nodiscard]] rt::recv_stream& stream() noexcept { return rs_; }
    // Ends the handshake stage: decoding goes on from `dec` (a fresh decoder after the 101, or
    // the validation reader's state); `leftover` (frame bytes received but not yet decoded, read
    // at `stamp_ns`) is kept for poll() and next(); a plain TCP connection drops its byte pipe.
    void begin_hold(const ws::decoder& dec, std::span<const std::uint8_t> leftover, std::int64_t stamp_ns);
    // Releases the transport state: GOAWAY / close_notify when the peer is still there, the
    // receive stream stopped, the socket closed (graceful when the peer closed TCP first).
    [[nodiscard]] rt::task<void> teardown(bool peer_closed_tcp);

private:
    [[nodiscard]] rt::task<bool> send_bytes(std::span<const std::uint8_t> frame, rt::deadline until);
    // Reads the transport (TLS, HTTP/2) into its inbox; need_input after data, else as feed().
    [[nodiscard]] rt::task<held_event> refill(rt::deadline until);
    void end(held_event_kind kind, std::uint16_t code, wsp::error e) noexcept;

    rt::reactor* r_;
    http1::entropy_source* entropy_;
    std::unique_ptr<detail::transport> transport_;
    std::unique_ptr<std::uint8_t[]> leftover_; // frame bytes that came with the 101 (rare)
    std::span<std::uint8_t> in_;               // undecoded input: chunk_, leftover_ or the transport's inbox
    rt::recv_lease chunk_;                     // plain TCP: the ring buffer in_ points into
    rt::recv_stream rs_;
    std::unique_ptr<ws::decoder> dec_; // only while decoding: dropped whenever it is at rest
    ws::decoder_options dec_opts_;     // a new decoder's options
    std::int64_t in_stamp_ns_ = 0;     // reap time of the bytes in in_
    rt::socket sock_;
    std::uint16_t end_code_ = 0;
    held_event_kind end_kind_ = held_event_kind::timeout;
    wsp::error end_error_;
    bool ended_ = false; // closed, eof or error seen
    bool eof_ = false;   // the peer closed TCP
    bool close_sent_ = false;
    bool finished_ = false; // teardown done
};

// Frees the calling thread's idle handshake buffers (the probe keeps up to 256 of 36 KiB, and as
// many byte pipes of 16 KiB, per thread for reuse by the next connections). For load runs once
// the last connection is open.
void release_idle_buffers() noexcept;

// Opens one connection for `spec` exactly as run_check's first attempt does (DNS, TCP, TLS,
// upgrade over HTTP/1.1 or RFC 8441, --http2 prefer fallback, app init, first RTT) and, when every
// phase passed, returns it held instead of closing it. On failure returns nullptr with `res`
// filled as run_check fills it (phase, code, sentence, durations), the connection already
// closed. `res` records phase durations either way. `spec`, `env` targets and `res` must outlive
// the task. Retries are not made (spec.retries is ignored). Handshake buffers go back to the
// per-thread pool before this returns.
[[nodiscard]] rt::task<std::unique_ptr<ws_connection>> open_ws(probe_env env, const proto::check_spec* spec,
                                                               proto::check_result* res);

} // namespace wsp::probe
