// What a completed TLS handshake negotiated and what the peer certificate says (RFC 8446 §4,
// RFC 5280 §4.1, §4.2.1.6 subjectAltName), for results and expiry warnings.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proto/error.h"
#include "tls/time.h"

namespace wsp::tls {

// A snapshot taken by session::facts() after the handshake; owns its strings (no views into the
// session), so it may outlive the session. Certificate fields are empty when the peer sent none.
struct tls_facts {
    std::string version;              // "TLSv1.3"
    std::string cipher;               // "TLS_AES_128_GCM_SHA256"
    std::string alpn;                 // selected protocol, "" if none
    std::string leaf_subject;         // RFC 2253 text, "CN=example.com"
    std::string issuer;               // RFC 2253 text of the leaf's issuer
    std::vector<std::string> san_dns; // subjectAltName dNSName entries, in certificate order
    std::vector<std::string> san_ip;  // subjectAltName iPAddress entries, textual
    std::int64_t leaf_not_after = 0;  // seconds since the Unix epoch
    std::string leaf_not_after_iso;   // "2026-01-31T00:00:00Z"
    std::int64_t chain_not_after = 0; // earliest notAfter over the verified (or sent) chain
    std::string chain_not_after_iso;
    long verify_code = 0;    // X509_V_OK (0) or the first verification error
    std::string verify_text; // OpenSSL's text for verify_code ("ok" when 0)
    wsp::error verify_error; // the errc verification failure would have produced
    bool resumed = false;    // the session was resumed from a cached session

    // Days until the leaf (chain) certificate expires, given the caller's clock; see days_left().
    [[nodiscard]] std::int64_t leaf_days_left(std::int64_t now) const noexcept
    {
        return days_left(leaf_not_after, now);
    }
    [[nodiscard]] std::int64_t chain_days_left(std::int64_t now) const noexcept
    {
        return days_left(chain_not_after, now);
    }
};

} // namespace wsp::tls
