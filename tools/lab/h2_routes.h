// wsprobe-lab over HTTP/2: the client preface that switches a connection to h2 (RFC 9113 §3.4) and
// what the lab answers to each extended CONNECT (RFC 8441 §4-§5), decided without I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "h2/event.h"
#include "tools/lab/answer.h"
#include "tools/lab/scenario.h"

namespace wsp::lab {

// RFC 9113 §3.4: every HTTP/2 connection starts with these 24 bytes from the client.
inline constexpr std::string_view h2_client_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

enum class preface_match : std::uint8_t {
    no = 0,      // the bytes are not the preface: an HTTP/1.1 request (or garbage)
    partial = 1, // every byte so far matches the preface's start: read more before deciding
    full = 2,    // the connection starts with the whole preface
};

// Compares the first bytes received on a connection with the client preface. No allocation.
[[nodiscard]] preface_match match_h2_preface(std::span<const std::uint8_t> first) noexcept;

// What the lab does with one request stream.
enum class h2_action : std::uint8_t {
    accept = 0,  // 2xx without END_STREAM: a WebSocket on the stream, then `mode` (RFC 8441 §5)
    respond = 1, // a final answer that is not a WebSocket (status, headers, body), END_STREAM
    reset = 2,   // RST_STREAM with `error_code` instead of any answer (RFC 9113 §6.4)
    goaway = 3,  // GOAWAY with `error_code` instead of any answer, then the connection closes
};

// The plan for one request. Everything is owned.
struct h2_plan {
    h2_action action = h2_action::respond;
    bool routed = false; // the path named a scenario
    scenario_kind kind = scenario_kind::echo;
    std::string_view scenario_name = "-";  // for the log: to_string(kind), "h2_reset" or "h2_goaway"
    int status = 200;                      // accept and respond
    std::vector<h2::header_field> headers; // respond: extra response headers
    std::string body;                      // respond: a short text/plain body
    std::string subprotocol;               // accept: sec-websocket-protocol, empty for none
    std::vector<std::uint8_t> first_bytes; // accept: WebSocket frames sent right after the 200
    ws_mode mode = ws_mode::echo;          // accept: echo, await_close, discard or drop_on_first
    std::uint32_t delay_before_ms = 0;     // accept: wait this long before the 200 (slow-upgrade)
    std::uint32_t reply_delay_ms = 0;      // accept: echo each message and pong this late (slow-echo)
    bool kill = false;                     // accept: END_STREAM without a close frame after kill_after_ms
    std::uint32_t kill_after_ms = 0;
    std::optional<app_route> app; // accept with ws_mode::app: the app-protocol server
    std::uint32_t error_code = 0; // reset and goaway: RFC 9113 §7 error code
    std::string method;           // for the log: :method, "-" when absent
    std::string path;             // for the log: :path without its query
};

// Plans the answer to a request header block (a headers event of a server session). HTTP/1.1
// scenario paths keep their meaning where HTTP/2 can express it (/echo, /welcome, /status/N,
// /redirect, /subprotocol, /close-after-upgrade, /silent, /blackhole, /slow-upgrade, /slow-echo,
// /idle-kill, /oversized-frame, /malformed-frame, /drop, /reset, /app/...); the HTTP/1.1-only ones
// (101 header faults, garbage) answer 501; /h2/reset and /h2/goaway exist only here. A
// request that would get a WebSocket is checked first (RFC 8441 §4-§5: CONNECT with :protocol
// websocket, sec-websocket-version 13) and answered 400 or 426 otherwise. Never throws on peer
// input (allocation failure aside).
[[nodiscard]] h2_plan plan_h2_request(const h2::event& request);

// The --list lines of the HTTP/2-only paths and of how the others behave over h2.
[[nodiscard]] std::string describe_h2_routes();

} // namespace wsp::lab
