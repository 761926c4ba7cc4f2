// What one check does: the target, the upgrade request's options, the RTT mode, the deadlines
// and the verdict thresholds. Plain data, built by the CLI or a config file, read by the probe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proto/assert/close_codes.h"
#include "proto/assert/script.h"
#include "proto/presets/app.h"
#include "proto/url.h"

namespace wsp::proto {

using millis = std::chrono::milliseconds;

// none: handshake only; echo: the reply equals the payload; any: any data message; ping: a
// WebSocket ping/pong; app: the app preset's own request/response (a WebSocket ping if it has none).
enum class rtt_mode : std::uint8_t { none = 0, echo = 1, any = 2, ping = 3, app = 4 };
enum class address_family : std::uint8_t { any = 0, v4 = 1, v6 = 2 };
// RFC 8441 (WebSocket over HTTP/2 extended CONNECT). off: HTTP/1.1 only. prefer: offer h2 by ALPN
// on wss:// and fall back to the HTTP/1.1 upgrade, reporting why. require: h2 or down.
// prior_knowledge: h2c on ws:// without negotiation (RFC 9113 §3.3).
enum class http2_mode : std::uint8_t { off = 0, prefer = 1, require = 2, prior_knowledge = 3 };

struct header_field {
    std::string name;
    std::string value;
    bool secret = false; // never printed, logged or echoed: shown as <redacted>
};

// Deadlines per phase; `overall` bounds the whole check including retries' attempts.
struct check_timeouts {
    millis dns{5000};
    millis connect{5000};  // TCP connect
    millis tls{5000};
    millis upgrade{5000};  // request sent to validated 101
    millis app_init{5000}; // app preset init (e.g. connection_init -> connection_ack)
    millis rtt{5000};      // product guide: RTT timeout, the hard Down line
    millis close{2000};    // our close frame sent to the server's close frame
    millis overall{20000};
};

// Verdict thresholds (product guide defaults): above these, an otherwise healthy check is
// degraded.
struct check_thresholds {
    millis handshake_degraded{1000}; // end of connect/TLS to the 101
    millis rtt_degraded{200};
    std::optional<millis> connect_degraded; // DNS+TCP+TLS; off unless set
    millis app_init_degraded{1000};
};

// wss:// options (RFC 8446 / RFC 6066 SNI); the CLI turns them into one TLS context per run.
struct tls_options {
    std::optional<std::string> ca_file;   // trust these CAs instead of the system store
    bool insecure = false;                // continue despite certificate errors (still reported)
    std::optional<std::string> cert_file; // client certificate (mTLS)
    std::optional<std::string> key_file;
    bool min_tls13 = false;               // refuse TLS 1.2
    unsigned cert_warn_days = 14;         // degraded when the chain expires within this many days
    bool resume = false;                  // keep a per-target session cache and report resumption
    bool offer_h2 = false;                // ALPN offers "h2" before "http/1.1" (--http2 prefer|require)
};

// An app-protocol preset (--app) and its options.
struct app_spec {
    const app::preset* preset = nullptr;
    app::preset_options options;
};

struct check_spec {
    ws_url url;
    std::vector<header_field> headers;           // custom headers, in order
    std::optional<std::string> origin;
    std::vector<std::string> subprotocols;       // offered, in order
    std::optional<std::string> expect_subprotocol; // asserted, case-sensitive
    std::vector<std::string> extensions;         // offered Sec-WebSocket-Extensions values
    rtt_mode rtt = rtt_mode::none;
    std::string payload = "wsprobe";              // for echo and ping
    bool binary = false;                          // echo payload as a binary frame
    check_timeouts timeouts;
    check_thresholds thresholds;
    unsigned retries = 0;                         // extra attempts after a down result
    address_family family = address_family::any;
    std::optional<std::string> source_address;    // bind before connect
    std::size_t max_message_size = 1 << 20;
    tls_options tls;
    http2_mode http2 = http2_mode::off;           // --http2; set tls.offer_h2 with prefer/require
    std::optional<app_spec> app;                      // speak an application protocol after the 101
    std::vector<assertion::script_step> steps;        // --send/--expect-*/--script exchanges
    std::optional<assertion::close_code_set> expect_close; // success is the server closing so
};

} // namespace wsp::proto
