// TLS failure codes (RFC 8446 §6 alerts, RFC 5280 §6 path validation, RFC 6125 §6 name checks):
// one value per distinct problem a person would fix differently.
#pragma once

#include <cstdint>

#include "proto/error.h"

namespace wsp::tls {

// Append-only; the names returned by domain_of(errc).name are part of the JSON contract.
enum class errc : std::uint16_t {
    ok = 0,
    certificate_expired = 1,           // leaf or chain certificate past its notAfter
    certificate_not_yet_valid = 2,     // leaf or chain certificate before its notBefore
    untrusted_issuer = 3,              // chain does not end in a trusted root
    self_signed = 4,                   // leaf is self-signed and not trusted
    hostname_mismatch = 5,             // no SAN DNS entry matches the host name
    ip_address_mismatch = 6,           // no SAN IP entry matches the IP literal
    certificate_invalid = 7,           // any other path-validation failure
    alert_received = 8,                // the peer aborted with a fatal alert
    protocol_version = 9,              // no TLS version both sides accept
    no_alpn_overlap = 10,              // no application protocol both sides accept
    peer_closed_during_handshake = 11, // transport EOF before the handshake finished
    handshake_failed = 12,             // other handshake failure (OpenSSL reason attached)
    truncated = 13,                    // transport EOF without close_notify after the handshake
    client_certificate_required = 14,  // the server demands a client certificate
    record_error = 15,                 // malformed or undecryptable record after the handshake
    bad_state = 16,                    // call not valid in the session's current state
    ca_file_unusable = 17,             // ca_file / CA PEM could not be loaded
    certificate_unusable = 18,         // certificate or key could not be loaded or do not match
    invalid_option = 19,               // ALPN, cipher or version option rejected
    out_of_resources = 20,             // OpenSSL could not allocate a context or session
    cert_generation_failed = 21,       // the certificate generator failed
    file_write_failed = 22,            // writing PEM to a file failed
};

[[nodiscard]] const wsp::error_domain& domain_of(errc) noexcept;

} // namespace wsp::tls
