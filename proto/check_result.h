// The outcome of one check: status, the phase that failed, a stable code, a failure class, a
// sentence a person can act on, every phase's duration, and what was negotiated.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/error.h"

namespace wsp::proto {

enum class check_status : std::uint8_t { up = 0, degraded = 1, down = 2 };

// Phases in the order a check runs them. Append-only; the names are part of the JSON contract.
enum class phase : std::uint8_t { dns = 0, tcp = 1, tls = 2, upgrade = 3, app_init = 4, rtt = 5, close = 6 };
inline constexpr std::size_t phase_count = 7;

[[nodiscard]] std::string_view to_string(check_status s) noexcept;
[[nodiscard]] std::string_view to_string(phase p) noexcept;

enum class closed_by : std::uint8_t { none = 0, client = 1, server = 2, transport = 3 };
[[nodiscard]] std::string_view to_string(closed_by c) noexcept;

struct close_info {
    closed_by by = closed_by::none;
    std::optional<std::uint16_t> code; // 1006 when the TCP connection dropped without a close frame
    std::string reason;
    bool clean = false;                // both close frames exchanged
};

struct negotiated_info {
    std::string http_version;          // "http/1.1" (or "h2")
    std::optional<std::string> subprotocol;
    std::vector<std::string> extensions;
    std::optional<std::uint16_t> status; // status code the upgrade got, whatever it was
    // Why an h2 check (--http2 prefer) ran over HTTP/1.1, e.g. "ALPN selected http/1.1".
    std::optional<std::string> fallback_reason;
};

// What a wss:// handshake negotiated and what the server's certificate says.
struct tls_info {
    std::string version;             // "TLSv1.3"
    std::string cipher;
    std::string alpn;                // "" if none
    std::string subject;             // leaf subject, RFC 2253
    std::string issuer;
    std::vector<std::string> names;  // SAN DNS and IP entries
    std::string not_after;           // leaf, ISO 8601
    std::string chain_not_after;     // earliest in the chain, ISO 8601
    std::int64_t days_left = 0;      // until chain_not_after
    std::string verify = "ok";       // "ok" or the verification problem (reported with --insecure)
    bool resumed = false;
};

struct check_result {
    check_status status = check_status::down;
    std::optional<phase> failed_phase;
    std::string code = "ok";           // stable snake_case error name
    wsp::failure_class cls = wsp::failure_class::none;
    std::string sentence;              // the human explanation
    std::vector<std::string> warnings; // why degraded, or soft problems
    std::array<std::optional<std::int64_t>, phase_count> phase_ns{}; // durations of phases run
    std::int64_t total_ns = 0;
    std::string url;
    std::string peer_address;          // "127.0.0.1:8080" / "[::1]:443"
    negotiated_info negotiated;
    std::optional<tls_info> tls;       // wss:// only
    close_info close;
    std::optional<std::int64_t> rtt_ns; // the frame round trip itself
    unsigned attempts = 1;
    std::string transcript;            // --verbose: request and response heads, secrets redacted

    [[nodiscard]] std::optional<std::int64_t> duration(phase p) const noexcept
    {
        return phase_ns[static_cast<std::size_t>(p)];
    }
    void set_duration(phase p, std::int64_t ns) noexcept { phase_ns[static_cast<std::size_t>(p)] = ns; }

    // Marks the result down at phase p with error e and the given sentence.
    void fail(phase p, const wsp::error& e, std::string why);
};

} // namespace wsp::proto
