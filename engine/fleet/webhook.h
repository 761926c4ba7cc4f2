// The `wsprobe run --webhook URL` client: each state-change event's JSON POSTed to an http:// URL
// (RFC 9110 §9.3.3 POST, RFC 9112 §3 request line, §4 status line) from a dedicated reactor
// thread, with retries and a bounded queue. Deliveries never affect checks: a full queue drops
// the event (counted), an unreachable receiver is counted as a failure after the last attempt.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/fleet/ssrf.h"
#include "engine/runtime/address.h"

namespace wsp::fleet {

// An http:// webhook URL with a literal IPv4/IPv6 host.
struct webhook_url {
    std::string host;      // as written, without brackets for IPv6
    std::uint16_t port = 80;
    std::string target;    // origin-form request target, "/" when the URL has no path
    std::string authority; // for the Host header, as written in the URL
};

// Parses `text` as http://HOST[:PORT][/PATH[?QUERY]] with HOST an IP literal. nullopt (and a
// sentence in `diagnostic`) for https://, user info, fragments, names, bad ports or bytes that
// cannot appear in a request line.
[[nodiscard]] std::optional<webhook_url> parse_webhook_url(std::string_view text,
                                                           std::string* diagnostic = nullptr);

// The whole request: POST, Host, Content-Type: application/json, Content-Length, Connection:
// close, then `body`.
[[nodiscard]] std::string format_webhook_request(const webhook_url& url, std::string_view body);

// The status code of the response that starts `bytes` (RFC 9112 §4: HTTP/1.x SP 3DIGIT SP ...):
// 0 while the status line is incomplete, -1 when it is malformed.
[[nodiscard]] int parse_webhook_status(std::string_view bytes) noexcept;

struct webhook_options {
    std::size_t max_pending = 1024; // queued deliveries; more are dropped
    std::vector<std::chrono::milliseconds> backoff{std::chrono::milliseconds(500), std::chrono::milliseconds(1000)};
    std::chrono::milliseconds attempt_timeout{3000}; // connect + send + status line, per attempt
    std::chrono::milliseconds drain_limit{3000};     // at stop(), how long pending events may still go
};

struct webhook_counters {
    std::uint64_t delivered = 0; // a 2xx answered
    std::uint64_t failed = 0;    // every attempt failed
    std::uint64_t dropped = 0;   // queue full
    std::uint64_t retries = 0;   // attempts after the first
};

class webhook_sender {
public:
    // Judges the URL's address with `policy` (when `guard`), then starts the delivery thread.
    [[nodiscard]] static std::unique_ptr<webhook_sender>
    start(const webhook_url& url, const webhook_options& opts, bool guard, const ssrf_policy& policy,
          std::string* diagnostic);
    webhook_sender(const webhook_sender&) = delete;
    webhook_sender& operator=(const webhook_sender&) = delete;
    ~webhook_sender(); // stop()

    // Queues one event (any thread, never blocks on I/O); false when the queue is full (dropped).
    bool enqueue(std::string json);
    [[nodiscard]] webhook_counters counters() const;
    // Delivers what is pending within drain_limit, then joins the thread. Idempotent.
    void stop();

    struct impl;

private:
    explicit webhook_sender(std::unique_ptr<impl> p) noexcept;
    std::unique_ptr<impl> impl_;
};

} // namespace wsp::fleet
