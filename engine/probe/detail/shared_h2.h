// One HTTP/2 connection shared by several probes, one RFC 8441 stream each (RFC 9113 §5: streams
// are independent and share the connection's transport, session and flow control). h2_mux.cpp
// runs the probes; this is the connection they share.
#pragma once

#include <array>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/probe/pipe.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/recv_stream.h"
#include "engine/runtime/socket.h"
#include "engine/runtime/task.h"
#include "h2/extended_connect.h"
#include "h2/session.h"
#include "tls/session.h"

namespace wsp::probe::detail {

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

// The shared connection, over a connected socket and its receive stream (TLS already done for
// wss). Lives in the connection's coroutine frame; reactor thread only; not movable (parked
// probes and pipe views point into it). Probes are slots 0..probes-1, fixed at construction.
//
// Reading: there is no reader task. A probe that needs an event and finds its inbox empty reads
// the socket itself unless another probe already is; then it parks. The reader feeds the session,
// sorts its events into the inboxes and resumes the parked probes that have something (an event,
// their deadline, the end of the connection). Its receive deadline is the earliest of the waiting
// probes', at most reader_slice_ns away, so a probe that parked after the read began with an
// earlier deadline is judged at most that late. A probe leaving with its event hands the reading
// on to a parked one. Resumed probes run on the resumer's stack until they next suspend.
//
// Writing: probes queue DATA in the session; one flush at a time drains the session and sends.
// Over TLS it encrypts into a buffer of its own first: the TLS session's output view would not
// survive the reader decrypting while the send is in flight. A probe arriving during a flush
// leaves its bytes to it (the flush drains until the session is empty).
//
// Flow control: the reader takes every event from the session as it arrives, so the windows are
// replenished at once and undelivered DATA waits in the inboxes (probes read small replies).
class shared_h2 final : public h2_stream_source {
public:
    static constexpr std::int64_t reader_slice_ns = 100'000'000;

    shared_h2(rt::reactor& r, rt::socket s, rt::recv_stream& rs, tls::session* tls,
              h2::client_session session, std::size_t probes);
    shared_h2(const shared_h2&) = delete;
    shared_h2& operator=(const shared_h2&) = delete;

    [[nodiscard]] h2::client_session& session() noexcept { return session_; }
    [[nodiscard]] stream_slot& slot(std::size_t index) noexcept { return slots_[index]; }
    [[nodiscard]] rt::socket socket() const noexcept { return sock_; }
    [[nodiscard]] rt::recv_stream& receiver() noexcept { return *rs_; }
    // The peer closed the transport (then the socket may close gracefully).
    [[nodiscard]] bool transport_eof() const noexcept { return dead_ && dead_->what == pipe_read::kind::eof; }

    // Queues the extended CONNECT for the probe of `s` (RFC 8441 §4); `s` receives its events.
    // Errors are client_session::open_websocket's.
    [[nodiscard]] wsp::expected<std::int32_t> open(stream_slot& s, const h2::connect_request& req);

    // Reads until the peer's first SETTINGS (ev of kind settings) or a GOAWAY before it (that
    // event), or the transport's end or `until` (failure). Before any probe runs.
    [[nodiscard]] rt::task<h2_read> await_settings(rt::deadline until);

    // The next event of the stream of `s` (GOAWAYs included), or the connection's eof/error, or
    // a timeout read at `until`.
    [[nodiscard]] rt::task<h2_read> next_event(stream_slot& s, rt::deadline until);

    // Drains the session and sends until it has nothing more; returns at once (ok) when another
    // flush is under way, which sends these bytes too. A failed send ends the connection.
    [[nodiscard]] rt::task<rt::io_result> flush(rt::deadline until);

    [[nodiscard]] rt::task<rt::io_result>
    stream_send(std::int32_t stream_id, std::span<const std::byte> plain, rt::deadline until) override;
    [[nodiscard]] rt::task<pipe_read> stream_recv(std::int32_t stream_id, rt::deadline until,
                                                  std::string* failure_text) override;

    // Ends a finished probe's stream: END_STREAM once the peer ended its side (RFC 9113 §5.1),
    // otherwise RST_STREAM(CANCEL) so the server frees it; drops what its inbox still holds.
    // Queues output only: flush() after it.
    void finish(stream_slot& s, bool peer_ended);

    // RFC 9113 §6.8: a graceful GOAWAY, then close_notify over TLS; best effort, bounded.
    [[nodiscard]] rt::task<void> shut(rt::deadline until);

private:
    [[nodiscard]] stream_slot* find(std::int32_t id) const noexcept;
    [[nodiscard]] std::optional<h2_read> ready(stream_slot& s, rt::deadline until);
    [[nodiscard]] rt::task<void> read_once(rt::deadline until);
    void hand_over();
    void take_bytes(std::span<const std::byte> bytes, std::int64_t stamp);
    void feed_session(std::span<const std::uint8_t> bytes, std::int64_t stamp);
    void sort_events(std::int64_t stamp);
    [[nodiscard]] bool encrypt();
    void end_transport(pipe_read why);

    rt::reactor* r_;
    rt::socket sock_;
    rt::recv_stream* rs_;
    tls::session* tls_;
    h2::client_session session_;
    std::vector<stream_slot> slots_;  // one per probe, never resized (parked probes point in)
    std::vector<stream_slot*> by_id_; // client stream id 2k+1 -> its slot
    std::optional<pipe_read> dead_;   // the transport's eof or error, or a fatal session error
    std::optional<h2::event> goaway_;
    std::int64_t goaway_stamp_ = 0;
    std::int64_t settings_stamp_ = 0;
    bool pumping_ = false;           // a probe is reading for everyone
    bool flushing_ = false;          // a probe is sending for everyone
    std::vector<std::uint8_t> out_;  // the session's output being sent (h2c) or encrypted
    std::vector<std::byte> tls_out_; // its ciphertext being sent (wss)
    std::array<std::byte, 16 * 1024> plain_{};
};

} // namespace wsp::probe::detail
