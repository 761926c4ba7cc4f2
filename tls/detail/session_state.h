// Internal per-session state; its address is stored as the SSL's app data for callbacks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "tls/context.h"
#include "tls/detail/diagnose.h"
#include "tls/detail/ossl.h"
#include "tls/session_cache.h"

namespace wsp::tls::detail {

enum class phase : std::uint8_t { handshaking = 0, open = 1, failed = 2 };

struct session_state {
    explicit session_state(context c) noexcept : ctx(std::move(c)) {}
    session_state(const session_state&) = delete;
    session_state& operator=(const session_state&) = delete;
    // SSL_free marks the current session not resumable unless SSL_SENT_SHUTDOWN is set
    // (ssl_clear_bad_session). A healthy session dropped without close_notify keeps its cached
    // session usable; a failed one does not.
    ~session_state()
    {
        if (ssl && state == phase::open) {
            SSL_set_shutdown(ssl.get(), SSL_get_shutdown(ssl.get()) | SSL_SENT_SHUTDOWN);
        }
    }

    context ctx;
    ssl_ptr ssl;
    BIO* rbio = nullptr; // owned by ssl: ciphertext from the peer
    BIO* wbio = nullptr; // owned by ssl: ciphertext for the peer
    session_cache* cache = nullptr;
    std::string cache_key;
    std::string host;
    bool host_is_ip = false;
    phase state = phase::handshaking;
    bool eof = false;
    bool peer_closed = false; // peer's close_notify processed
    bool sent_close = false;  // our close_notify queued
    int alert = -1;           // last fatal alert received (RFC 8446 §6 AlertDescription)
    std::size_t output_limit = 64 * 1024;
    verify_record verify;
    wsp::error failure;
    std::string failure_text;
};

} // namespace wsp::tls::detail
