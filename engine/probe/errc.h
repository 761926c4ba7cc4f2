// Errors the probe itself decides (beyond those of the codecs, DNS and the runtime): timeouts per
// phase, a server that goes away, an echo that does not match.
#pragma once

#include <cstdint>

#include "proto/error.h"

namespace wsp::probe {

enum class errc : std::uint16_t {
    ok = 0,
    connect_timeout = 1,        // TCP connect did not complete in time
    upgrade_timeout = 2,        // no complete response head in time
    closed_before_response = 3, // EOF before a complete response head
    reset_during_upgrade = 4,   // RST before a complete response head
    rtt_timeout = 5,            // no reply within the RTT timeout
    echo_mismatch = 6,          // replies arrived, none equal to what was sent
    server_closed = 7,          // the server sent a close frame with a failure code
    connection_dropped = 8,     // TCP closed without a close frame (1006)
    connection_reset = 9,       // RST after the upgrade
    invalid_frame = 10,         // the server broke RFC 6455 framing (detail in the sentence)
    bad_source_address = 11,    // --source is not an address
    bad_payload = 12,           // text payload that is not UTF-8, or too large
    no_address = 13,            // DNS gave no address of the requested family
    overall_timeout = 14,       // the whole check ran out of time
    internal = 15,              // a bug or resource failure inside wsprobe
    tls_timeout = 16,           // the TLS handshake did not complete in time
    tls_connection_failed = 17, // TCP failed during the TLS handshake
    address_blocked = 18,       // the address guard (SSRF protection) refused the target
    app_init_timeout = 19,      // the app protocol's init was not answered in time
    h2_not_negotiated = 20,     // --http2 require, but ALPN did not select h2 (RFC 9113 §3.2)
    h2_settings_timeout = 21,   // no HTTP/2 SETTINGS from the server in time (RFC 9113 §3.4)
    transports_disagree = 22,   // --compare-transports: one of HTTP/1.1 and HTTP/2 works, the other not
};

[[nodiscard]] const wsp::error_domain& domain_of(errc) noexcept;

} // namespace wsp::probe
