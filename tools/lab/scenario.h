// wsprobe-lab scenarios: one request path per failure mode of the product guide, so every way a
// WebSocket endpoint breaks can be reproduced on loopback. Pure routing: path -> scenario.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/lab/apps.h"

namespace wsp::lab {

// The value of `key` in a query string "a=1&b=2", percent-decoded (%XX; '+' is a space), or
// nullopt when the key is absent. A '%' not followed by two hex digits stays as it is.
[[nodiscard]] std::optional<std::string> query_param(std::string_view query, std::string_view key);

enum class scenario_kind : std::uint8_t {
    echo = 0,           // healthy echo; answers pings and closes
    welcome = 1,        // sends a text message right after the 101, then echoes
    status = 2,         // answers the upgrade with `status` (200, 401, 403, 429, 500, 503, ...)
    redirect = 3,       // 302 with Location
    bad_accept = 4,     // wrong Sec-WebSocket-Accept
    no_upgrade = 5,     // 101 without the Upgrade header
    no_connection = 6,  // 101 without the Connection header
    subprotocol = 7,    // selects `select` whatever was offered (wrong case, never offered, ...)
    close_after_upgrade = 8, // close frame with `code` and `reason` right after the 101
    silent = 9,         // accepts, then never sends anything (and does not read)
    blackhole = 10,     // accepts, reads and drops every frame, never answers
    slow_upgrade = 11,  // waits `ms` before the 101
    slow_echo = 12,     // echoes each message after `ms`
    idle_kill = 13,     // closes TCP after `ms` without a close frame
    garbage = 14,       // answers the request with bytes that are not HTTP
    oversized_frame = 15,  // after the 101 sends a frame header claiming 2^62 bytes
    malformed_frame = 16,  // after the 101 sends a frame with reserved bits set and a masked payload
    reset_handshake = 17,  // reads the request, then resets the connection (RST, no response)
    drop_after_upgrade = 18, // 101, then TCP close with no close frame on the first message
    app = 19,               // /app/<protocol>?fault=...: an app-protocol server (apps.h)
};

struct scenario {
    scenario_kind kind = scenario_kind::echo;
    std::uint16_t status = 101;
    std::uint32_t ms = 0;
    std::uint16_t code = 0;
    std::string reason;
    std::string select;   // subprotocol to select
    std::string location; // redirect target
    std::string message;  // welcome text
    // `?subprotocol=first` on any path that answers a healthy 101: select the client's first
    // offered subprotocol instead of none.
    bool first_subprotocol = false;
    std::optional<app_route> app; // scenario_kind::app
};

// The scenario's stable name ("echo", "status", "close_after_upgrade", ...), for logs.
[[nodiscard]] std::string_view to_string(scenario_kind kind) noexcept;

// Maps a request target ("/status/200", "/slow-upgrade?ms=1500", ...) to a scenario, or nullopt
// for an unknown path (the lab answers 404).
[[nodiscard]] std::optional<scenario> route(std::string_view target);

// One line per path, for `wsprobe-lab --list` and the README.
[[nodiscard]] std::string describe_routes();

} // namespace wsp::lab
