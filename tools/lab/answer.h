// The lab's answer to a request head, decided without I/O (RFC 6455 §4.2 server handshake, RFC
// 7231 §6 status responses): the bytes to send first and what the connection does afterwards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <optional>
#include <vector>

#include "proto/error.h"
#include "tools/lab/scenario.h"

namespace wsp::lab {

// What happens after the answer bytes are sent.
enum class after_answer : std::uint8_t {
    close = 0,     // a plain HTTP answer (or garbage): FIN, drain briefly, close
    reset = 1,     // nothing is sent: SO_LINGER {1, 0} then close, so the peer sees RST
    websocket = 2, // a 101 was sent: run the WebSocket phase in `mode`
};

// The WebSocket phase after a 101.
enum class ws_mode : std::uint8_t {
    echo = 0,          // echo data messages, answer pings, answer close (delay_ms before each reply)
    await_close = 1,   // the lab already misbehaved or closed: wait (bounded) for the client's close
    silent = 2,        // never read, never send, until the hold bound
    discard = 3,       // read and drop everything, never answer, until EOF or the hold bound
    drop_on_first = 4, // FIN without a close frame as soon as the first client frame starts
    app = 5,           // an app_server (apps.h) answers each message
};

struct answer {
    bool routed = false;               // the path named a scenario
    scenario_kind kind = scenario_kind::echo;
    int status = 0;                    // HTTP status sent (0: none, e.g. garbage or reset)
    after_answer next = after_answer::close;
    ws_mode mode = ws_mode::echo;
    std::uint32_t delay_before_ms = 0; // wait before sending the answer (slow-upgrade)
    std::uint32_t reply_delay_ms = 0;  // echo mode: wait before each reply (slow-echo)
    bool kill = false;                 // echo mode: FIN without a close frame kill_after_ms after the 101
    std::uint32_t kill_after_ms = 0;
    std::string_view method;           // for the log line: views into the head, "-" if unparsed
    std::string_view path;             // the target without its query (queries may carry secrets)
    std::optional<app_route> app;      // ws_mode::app: the protocol and fault
};

// Answers a complete request head (`head` holds exactly the head bytes). Writes the bytes to send
// into `out` (resized to fit; its capacity is reused) and returns what to do next. A request that
// the scenario answers with a 101 is first validated like a real server would (RFC 6455 §4.2.1);
// a failure is answered 400 (426 for an unsupported version) with a one-line reason. `seed`
// varies the garbage bytes. The views in the result point into `head`. Never throws on peer
// input (allocation failure aside).
[[nodiscard]] answer answer_request(std::string_view head, std::vector<std::uint8_t>& out, std::uint64_t seed);

// Answers a head the parser rejected: 431 for the parser's size limits, 400 otherwise.
[[nodiscard]] answer answer_parse_error(wsp::error e, std::vector<std::uint8_t>& out);

// ---- building blocks, exposed for tests ----

// "HTTP/1.1 101 Switching Protocols" with the given Sec-WebSocket-Accept value, Upgrade and
// Connection unless omitted, and Sec-WebSocket-Protocol when `subprotocol` is not empty. Writes
// the values as given (the point is to produce broken answers); appends to `out`.
void append_switching_protocols(std::vector<std::uint8_t>& out, std::string_view accept, bool with_upgrade,
                                bool with_connection, std::string_view subprotocol);

// A server close frame with `code` and `reason` (truncated to 123 bytes), written even when the
// code is not valid on the wire, so a lab can send invalid codes; appends to `out`.
void append_close_frame(std::vector<std::uint8_t>& out, std::uint16_t code, std::string_view reason);

// The first element of the client's Sec-WebSocket-Protocol list ("a, b" -> "a"), or empty.
[[nodiscard]] std::string_view first_offered_subprotocol(std::string_view header_value) noexcept;

} // namespace wsp::lab
