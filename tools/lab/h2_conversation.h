// One wsprobe-lab HTTP/2 connection without I/O (RFC 9113 over h2/session.h's server role): each
// extended CONNECT (RFC 8441 §4-§5) gets its scenario (h2_routes.h), and WebSocket frames carried
// in DATA are echoed per stream (RFC 6455 §5.4-§5.5, §7.1.1 mapped onto END_STREAM).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "h2/session.h"
#include "proto/error.h"
#include "tools/lab/apps.h"
#include "tools/lab/h2_routes.h"

namespace wsp::lab {

class log_sink;
struct session_counters;

struct h2_limits {
    // RFC 8441 §3: what the server's SETTINGS say about ENABLE_CONNECT_PROTOCOL.
    h2::connect_protocol_setting connect_protocol = h2::connect_protocol_setting::enabled;
    std::uint64_t max_message_size = std::uint64_t{1} << 20; // larger messages are closed with 1009
    std::uint32_t max_streams = 8;                           // SETTINGS_MAX_CONCURRENT_STREAMS
    std::chrono::milliseconds close_timeout{2'000};          // await_close: END_STREAM after this
};

// Bounds per connection: at most max_streams streams, each with one reassembled message
// (≤ max_message_size) and a send buffer of max_message_size + 64 KiB; a client that does not
// read its echoes fills the buffer and gets RST_STREAM ENHANCE_YOUR_CALM, as does one that sends
// faster than /slow-echo answers (over 256 delayed replies, or over the send buffer's size in
// them). Time comes in as
// `now_ns` (CLOCK_MONOTONIC) from the caller; this class reads no clock. Single thread.
class h2_conversation {
public:
    static constexpr std::int64_t no_deadline = std::numeric_limits<std::int64_t>::max();

    // Creates the server session (our SETTINGS are queued at once). `counters` and `log` may be
    // null; when set they must outlive the conversation. Fails with h2::errc::library_error.
    [[nodiscard]] static wsp::expected<h2_conversation>
    create(const h2_limits& limits, session_counters* counters = nullptr, log_sink* log = nullptr);
    h2_conversation(h2_conversation&&) noexcept;
    h2_conversation& operator=(h2_conversation&&) noexcept;
    ~h2_conversation();

    // Feeds received bytes (the client preface first) and reacts to every event they produce.
    // Fails with h2::errc::session_error when nghttp2 rejects the bytes fatally; the connection
    // should then be closed after sending pending_output (nghttp2 may have queued a GOAWAY).
    [[nodiscard]] wsp::expected<void> feed(std::span<const std::uint8_t> bytes, std::int64_t now_ns);

    // Runs the timers due at `now_ns` (a slow-upgrade's 200, an idle-kill, an await-close bound).
    void on_time(std::int64_t now_ns);
    // The earliest timer, no_deadline when none.
    [[nodiscard]] std::int64_t next_deadline_ns() const noexcept;

    // Appends every byte to send now to `out`; returns how many. Fails with the session's error.
    [[nodiscard]] wsp::expected<std::size_t> drain_output(std::vector<std::uint8_t>& out);

    // Shutdown: close 1001 on every open WebSocket stream, END_STREAM, then GOAWAY(NO_ERROR).
    void going_away();
    // Sends GOAWAY(NO_ERROR) once (e.g. an idle connection is let go).
    void say_goodbye();

    // True when the connection should close once the output is sent: a GOAWAY went out (by a
    // scenario, nghttp2 or say_goodbye) and no stream is left, or the session is dead.
    [[nodiscard]] bool finished() const noexcept;
    // Streams the lab has state for (answered or waiting to be answered).
    [[nodiscard]] std::size_t open_streams() const noexcept;

    struct stream;

private:
    h2_conversation(h2::server_session session, const h2_limits& limits, session_counters* counters,
                    log_sink* log) noexcept;
    void handle_events();
    void on_event(h2::event& ev);
    void on_request(const h2::event& ev);
    void accept(stream& s);
    void on_data(stream& s, std::span<std::uint8_t> bytes);
    void echo(stream& s, std::span<std::uint8_t> bytes);
    // Sends an app server's messages and close; a drop ends the stream. False when the stream ended.
    bool react(stream& s, const app_reaction& r);
    // Queues bytes on the stream; RST_STREAM ENHANCE_YOUR_CALM when its send buffer is full.
    bool send(stream& s, std::span<const std::uint8_t> bytes);
    // A reply: sent now, or with slow-echo (`delay`, and anything queued before it) queued for its
    // time; `end_after` ends the stream once it is sent. False when the stream is over.
    bool reply(stream& s, std::span<const std::uint8_t> frame, bool delay, bool end_after);
    void send_due_replies(stream& s);
    void end(stream& s);

    h2::server_session session_;
    h2_limits limits_;
    session_counters* counters_;
    log_sink* log_;
    std::map<std::int32_t, std::unique_ptr<stream>> streams_;
    std::int64_t now_ns_ = 0; // the latest time given to feed() or on_time()
    bool goaway_sent_ = false;
    bool peer_goaway_ = false;
    bool dead_ = false;
};

} // namespace wsp::lab
