// The probe's byte pipe: a connected socket and its receive stream, with an optional TLS session
// in between (wss). The upgrade and frame code see plaintext only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "engine/runtime/clock.h"
#include "engine/runtime/ops.h"
#include "engine/runtime/recv_stream.h"
#include "engine/runtime/socket.h"
#include "engine/runtime/task.h"
#include "tls/session.h"

namespace wsp::probe {

struct pipe_read {
    enum class kind : std::uint8_t { data = 0, eof = 1, error = 2 };
    kind what = kind::eof;
    std::span<const std::uint8_t> bytes; // valid until the next recv()
    wsp::error error;                    // rt errc (timeout, reset, ...) or tls errc
    std::int64_t stamp_ns = 0;           // reap time of the receive that produced this
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

    [[nodiscard]] bool secure() const noexcept { return tls_ != nullptr; }
    // The TLS session's sentence for its failure ("" for plain TCP or no failure).
    [[nodiscard]] const std::string& tls_failure_text() const noexcept;

private:
    [[nodiscard]] rt::task<rt::io_result> flush(rt::deadline until);

    rt::reactor* r_;
    rt::socket sock_;
    rt::recv_stream* rs_;
    tls::session* tls_ = nullptr;
    rt::recv_chunk chunk_; // plain mode: the chunk whose bytes the last recv() returned
    std::array<std::byte, 16 * 1024> plain_{};
};

} // namespace wsp::probe
