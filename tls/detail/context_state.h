// Internal state shared by a context and every session made from it.
#pragma once

#include <string>

#include "tls/context.h"
#include "tls/detail/ossl.h"

namespace wsp::tls::detail {

struct context_state {
    ssl_ctx_ptr ctx;
    role kind = role::client;
    bool insecure = false;
    bool require_alpn = false;
    alpn_mismatch on_alpn_mismatch = alpn_mismatch::alert;
    std::string alpn_wire; // RFC 7301 §3.1 ProtocolNameList body: length-prefixed names
    std::string alpn_text; // "h2, http/1.1" for sentences
};

// Installed on client contexts: hands each new resumable session to the session's cache.
int on_new_session(SSL* ssl, SSL_SESSION* sess);
// Installed on every context: verification outcome recorder (and insecure override).
int on_verify(int preverify_ok, X509_STORE_CTX* store);

} // namespace wsp::tls::detail
