// Opt-in client session cache for TLS resumption (RFC 8446 §2.2 PSK tickets, RFC 5077 tickets),
// keyed by target. Sessions are never reused unless the caller passes a cache to session::client.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/ssl.h>

namespace wsp::tls {

// OpenSSL uses a TLS 1.3 ticket once (RFC 8446 §C.4): a resumed handshake marks the cached
// session not resumable, and the server's fresh tickets (taken in by read_plain after the
// handshake) replace it. A session whose connection failed is likewise marked and is dropped on
// the next lookup; one dropped while healthy, even without close_notify, stays usable.
//
// Holds at most max_entries sessions, one per key (oldest dropped first). Not thread-safe: use
// one cache per reactor thread. Keep one cache per client context and use a key naming the
// target (e.g. "host:port"), so a session is only offered to the server that issued it.
class session_cache {
public:
    explicit session_cache(std::size_t max_entries = 64) noexcept : max_entries_(max_entries) {}
    session_cache(const session_cache&) = delete;
    session_cache& operator=(const session_cache&) = delete;
    session_cache(session_cache&& other) noexcept;
    session_cache& operator=(session_cache&& other) noexcept;
    ~session_cache();

    // Takes ownership of one reference to `sess` and replaces any entry for `key`. Called by
    // sessions when OpenSSL reports a new resumable session (TLS 1.3: a NewSessionTicket,
    // processed by read_plain after the handshake). Allocates the key string.
    void put(std::string_view key, SSL_SESSION* sess);
    // Borrowed pointer valid until the next put/erase/clear; nullptr if absent.
    [[nodiscard]] SSL_SESSION* find(std::string_view key) const noexcept;
    void erase(std::string_view key) noexcept;
    void clear() noexcept;
    [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

private:
    struct entry {
        std::string key;
        SSL_SESSION* session;
    };
    std::size_t max_entries_;
    std::vector<entry> entries_; // insertion order: front is oldest
};

} // namespace wsp::tls
