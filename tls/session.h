// A sans-I/O TLS session (RFC 8446, RFC 5246) over OpenSSL memory BIOs: ciphertext in through
// feed(), ciphertext out through pending_output(), plaintext through read_plain/write_plain.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "proto/error.h"
#include "tls/context.h"
#include "tls/error.h"
#include "tls/facts.h"
#include "tls/session_cache.h"

namespace wsp::tls {

namespace detail {
struct session_state;
}

// What a step needs next. Need-more is a status, never an error.
enum class status : std::uint8_t {
    done = 0,        // the step completed (handshake finished, bytes moved, close complete)
    want_input = 1,  // send pending_output(), then feed() more ciphertext and call again
    want_output = 2, // drain pending_output() below the output limit, then call again
    closed = 3,      // read_plain: the peer sent close_notify; no more plaintext will arrive
};

struct io_result {
    std::size_t bytes = 0;
    status state = status::done;
};

// One TLS connection. Not thread-safe; may move between threads between calls. Move-only; the
// internal state is heap-allocated once so OpenSSL callbacks keep a stable pointer; a moved-from
// session may only be destroyed or assigned to. Once a step fails, every later step returns
// that same error.
//
// After EVERY call, check pending_output(): OpenSSL may queue records at any step (handshake
// flights, alerts, TLS 1.3 KeyUpdate replies, close_notify).
//
// OpenSSL behaviour worth knowing:
// - WANT_READ is an I/O need, not an error. It appears during a write when OpenSSL must first
//   read a handshake message (TLS 1.2 renegotiation, which both roles refuse here, or a TLS 1.3
//   post-handshake message it is in the middle of): write_plain then returns want_input and
//   must be retried with the same remaining bytes once more ciphertext was fed.
// - TLS 1.3 NewSessionTicket and KeyUpdate arrive after the handshake as ordinary records; they
//   are consumed inside read_plain, which then reports want_input with 0 bytes. A resumable
//   TLS 1.3 session therefore exists only after read_plain has processed a ticket.
// - With memory BIOs OpenSSL never reports WANT_WRITE; want_output comes only from this class's
//   own output limit.
// - In TLS 1.3 the client's handshake completes before the server checks its certificate; a
//   server rejecting the client certificate is reported by the next read_plain.
class session {
public:
    // A client session for `host` (the URL host: DNS name, IPv4 literal, or IPv6 with or without
    // brackets). DNS names get SNI (RFC 6066 §3) and host name verification (SSL_set1_host);
    // IP literals get no SNI and are matched against SAN IP entries. An empty host skips name
    // checks. With a cache, a session stored under cache_key (default: host) is offered for
    // resumption and new sessions are stored there; the cache must outlive this session.
    [[nodiscard]] static wsp::expected<session> client(const context& ctx, std::string_view host,
                                                       session_cache* cache = nullptr,
                                                       std::string_view cache_key = {});
    // A server session (lab role) using the context's certificate.
    [[nodiscard]] static wsp::expected<session> server(const context& ctx);

    session(session&&) noexcept;
    session& operator=(session&&) noexcept;
    session(const session&) = delete;
    session& operator=(const session&) = delete;
    ~session();

    // Ciphertext received from the transport; always copied whole into the read buffer.
    // bad_state after feed_eof() or a failure; out_of_resources if the copy cannot grow.
    [[nodiscard]] wsp::expected<void> feed(std::span<const std::byte> ciphertext);
    [[nodiscard]] wsp::expected<void> feed(std::string_view ciphertext);
    // The transport reached EOF. A later step reports peer_closed_during_handshake or truncated
    // unless the peer's close_notify was already processed.
    void feed_eof() noexcept;

    // Ciphertext waiting to be sent, as one contiguous view valid until the next non-const call.
    [[nodiscard]] std::span<const std::byte> pending_output() const noexcept;
    // Marks the first n bytes of pending_output() as sent (n is clamped). Does not copy.
    void consume_output(std::size_t n) noexcept;
    // Copies up to out.size() bytes of pending output into out and consumes them.
    [[nodiscard]] std::size_t take_output(std::span<std::byte> out) noexcept;

    // One handshake step: done, want_input, or the failure (also in failure()/failure_text()).
    [[nodiscard]] wsp::expected<status> handshake();
    // Decrypts into out: {n>0, done}, {0, want_input}, or {0, closed} after close_notify.
    // A peer EOF without close_notify yields errc::truncated. bad_state before the handshake.
    [[nodiscard]] wsp::expected<io_result> read_plain(std::span<std::byte> out);
    // Encrypts a prefix of in: bytes accepted with done (all), want_output (output limit
    // reached; drain and call again with the rest) or want_input (see class comment).
    [[nodiscard]] wsp::expected<io_result> write_plain(std::span<const std::byte> in);
    [[nodiscard]] wsp::expected<io_result> write_plain(std::string_view in);
    // Sends close_notify (RFC 8446 §6.1). done when both directions are closed; want_input
    // while waiting for the peer's close_notify (read_plain may still drain data meanwhile).
    [[nodiscard]] wsp::expected<status> shutdown();

    // write_plain stops accepting plaintext while pending output is at least this many bytes
    // (default 64 KiB), which bounds the output buffer per session.
    void set_output_limit(std::size_t bytes) noexcept;

    [[nodiscard]] bool handshake_done() const noexcept;
    [[nodiscard]] bool resumed() const noexcept;
    // Negotiated parameters and peer certificate details; allocates. Meaningful once the
    // handshake is done (also after insecure completion despite certificate errors).
    [[nodiscard]] tls_facts facts() const;
    // The last failure (empty wsp::error if none) and its sentence.
    [[nodiscard]] wsp::error failure() const noexcept;
    [[nodiscard]] const std::string& failure_text() const noexcept;
    [[nodiscard]] SSL* native_handle() const noexcept;

private:
    explicit session(std::unique_ptr<detail::session_state> s) noexcept;
    std::unique_ptr<detail::session_state> st_;
};

} // namespace wsp::tls
