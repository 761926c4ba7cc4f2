// The probe's byte pipe: a connected socket and its receive stream, with an optional TLS session
// in between (wss) and an optional HTTP/2 stream on top (RFC 8441 §5: WebSocket frames ride the
// extended CONNECT stream's DATA). The upgrade and frame code see plaintext WebSocket bytes only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/runtime/clock.h"
#include "engine/runtime/ops.h"
#include "engine/runtime/recv_stream.h"
#include "engine/runtime/socket.h"
#include "engine/runtime/task.h"
#include "h2/session.h"
#include "tls/session.h"

namespace wsp::probe {

struct pipe_read {
    enum class kind : std::uint8_t { data = 0, eof = 1, error = 2 };
    kind what = kind::eof;
    std::span<const std::uint8_t> bytes; // valid until the next recv()
    wsp::error error;                    // rt errc (timeout, reset, ...) or tls errc
    std::int64_t stamp_ns = 0;           // reap time of the receive that produced this
};

// One HTTP/2 session event with the reap time of the bytes that produced it, or the transport's
// eof/error (then `ev` is empty and `failure` says which).
struct h2_read {
    std::optional<h2::event> ev;
    pipe_read failure;
    std::int64_t stamp_ns = 0;
};

// An HTTP/2 connection shared by several pipes, one stream each (h2_mux.h, RFC 9113 §5): it owns
// the transport and the session, reads for all of them and hands each stream its own DATA.
// Reactor thread only.
class h2_stream_source {
public:
    // Queues `plain` as DATA on `stream_id` and sends it, or leaves it to the send already in
    // progress on the connection. res = bytes or -errno, as byte_pipe::send.
    [[nodiscard]] virtual rt::task<rt::io_result>
    stream_send(std::int32_t stream_id, std::span<const std::byte> plain, rt::deadline until) = 0;
    // The stream's next DATA payload, as byte_pipe::recv (bytes valid until the next call for the
    // same stream). A reset or GOAWAY is an error read with its sentence in *failure_text.
    [[nodiscard]] virtual rt::task<pipe_read> stream_recv(std::int32_t stream_id, rt::deadline until,
                                                          std::string* failure_text) = 0;

protected:
    h2_stream_source() = default;
    h2_stream_source(const h2_stream_source&) = default;
    h2_stream_source& operator=(const h2_stream_source&) = default;
    ~h2_stream_source() = default;
};

// Lives in the check's coroutine frame; reactor thread only.
class byte_pipe {
public:
    byte_pipe(rt::reactor& r, rt::socket s, rt::recv_stream& rs) noexcept : r_(&r), sock_(s), rs_(&rs) {}
    byte_pipe(const byte_pipe&) = delete;
    byte_pipe& operator=(const byte_pipe&) = delete;

    // Runs the TLS handshake over the socket; from then on send/recv carry plaintext through
    // `session`, which must outlive the pipe. The error is the session's (tls errc, with its
    // sentence in failure_text()) or the transport's (rt errc: timeout, connection_reset).
    // `done_ns` is the reap time of the bytes that completed the handshake.
    [[nodiscard]] rt::task<wsp::expected<void>> start_tls(tls::session* session, rt::deadline until,
                                                          std::int64_t* done_ns);

    // Sends all of `plain`. res = bytes or -errno (-ETIME at the deadline).
    [[nodiscard]] rt::task<rt::io_result> send(std::span<const std::byte> plain, rt::deadline until);

    // Next plaintext bytes. A TLS peer that drops TCP without close_notify reads as eof, like a
    // plain TCP drop, so both report the same 1006.
    [[nodiscard]] rt::task<pipe_read> recv(rt::deadline until);

    // Best-effort close_notify (TLS only); does not wait for the peer's.
    [[nodiscard]] rt::task<void> send_close_notify(rt::deadline until);

    // Runs an HTTP/2 client session over the transport (TLS or TCP); `session` must outlive the
    // pipe. Until bind_h2_stream(), send/recv are not to be used; next_h2_event() drives it.
    void attach_h2(h2::client_session* session) noexcept { h2_ = session; }
    // From now on send/recv carry the payload of `stream_id`'s DATA frames (RFC 8441 §5).
    void bind_h2_stream(std::int32_t stream_id) noexcept { stream_ = stream_id; }
    // From now on send/recv carry `stream_id` of a connection `source` owns (which outlives the
    // pipe); the pipe's own socket, TLS and session are not used.
    void bind_shared_h2_stream(h2_stream_source* source, std::int32_t stream_id) noexcept
    {
        source_ = source;
        stream_ = stream_id;
    }

    // Sends everything the HTTP/2 session has queued (preface, SETTINGS, HEADERS, DATA, ...).
    [[nodiscard]] rt::task<rt::io_result> flush_h2(rt::deadline until);

    // The session's next event, receiving and feeding transport bytes as needed (and sending what
    // the session answers). A session that rejects the peer's bytes yields an error read with
    // h2 errc::session_error.
    [[nodiscard]] rt::task<h2_read> next_h2_event(rt::deadline until);

    [[nodiscard]] bool secure() const noexcept { return tls_ != nullptr; }
    [[nodiscard]] bool http2() const noexcept { return h2_ != nullptr || source_ != nullptr; }
    // The sentence for the last HTTP/2 failure recv() reported (stream reset, GOAWAY), "" if none.
    [[nodiscard]] const std::string& h2_failure_text() const noexcept { return h2_failure_; }
    // The TLS session's sentence for its failure ("" for plain TCP or no failure).
    [[nodiscard]] const std::string& tls_failure_text() const noexcept;

private:
    [[nodiscard]] rt::task<rt::io_result> flush(rt::deadline until);
    [[nodiscard]] rt::task<rt::io_result> raw_send(std::span<const std::byte> plain, rt::deadline until);
    [[nodiscard]] rt::task<pipe_read> raw_recv(rt::deadline until);
    [[nodiscard]] rt::task<pipe_read> h2_recv(rt::deadline until);

    rt::reactor* r_;
    rt::socket sock_;
    rt::recv_stream* rs_;
    tls::session* tls_ = nullptr;
    rt::recv_chunk chunk_; // plain mode: the chunk whose bytes the last recv() returned
    std::array<std::byte, 16 * 1024> plain_{};
    h2::client_session* h2_ = nullptr;
    std::int32_t stream_ = 0;
    h2_stream_source* source_ = nullptr; // set by bind_shared_h2_stream
    std::vector<std::uint8_t> h2_out_;  // session output being sent
    std::vector<std::uint8_t> h2_data_; // the DATA payload the last recv() returned part of
    std::size_t h2_data_pos_ = 0;
    std::string h2_failure_;
};

} // namespace wsp::probe
