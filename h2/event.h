// Events an HTTP/2 session reports to its owner (RFC 9113 frames as seen by the application):
// SETTINGS (with RFC 8441 §3 ENABLE_CONNECT_PROTOCOL), headers, DATA, END_STREAM, RST_STREAM,
// GOAWAY and stream closure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wsp::h2 {

// A header field as received (names are lowercase on the wire, RFC 9113 §8.2). Owned copy.
struct header_field {
    std::string name;
    std::string value;
};

// A header field to send; the views need only live for the duration of the call that takes them.
struct header_view {
    std::string_view name;
    std::string_view value;
};

enum class event_kind : std::uint8_t {
    settings = 1,      // the peer's SETTINGS frame (not its ACK)
    headers = 2,       // a complete header block: response on the client, request on the server
    data = 3,          // a chunk of DATA payload on a stream
    end_of_stream = 4, // the peer half-closed the stream (END_STREAM on HEADERS or DATA)
    stream_reset = 5,  // RST_STREAM received (local = false) or sent by this side (local = true)
    goaway = 6,        // GOAWAY received (local = false) or sent by this side (local = true)
    stream_closed = 7, // the stream is gone; error_code is NO_ERROR after a clean close
};

[[nodiscard]] std::string_view to_string(event_kind k) noexcept;

// One event. Fields beyond kind and stream_id are meaningful only for the kinds named beside them.
// Everything is owned: an event stays valid however long the caller keeps it.
struct event {
    event_kind kind = event_kind::settings;
    std::int32_t stream_id = 0; // 0 for settings and goaway

    // settings: SETTINGS_ENABLE_CONNECT_PROTOCOL (0x8) as carried by this frame; nullopt when the
    // frame did not carry it (RFC 8441 §3: absence means the peer does not support it).
    std::optional<std::uint32_t> enable_connect_protocol;
    // settings: SETTINGS_MAX_CONCURRENT_STREAMS as carried by this frame, nullopt when absent.
    std::optional<std::uint32_t> max_concurrent_streams;

    // headers: every field in wire order, pseudo-headers (":status", ":protocol", ...) first.
    std::vector<header_field> headers;

    // data: the payload bytes of this chunk.
    std::vector<std::uint8_t> data;

    // stream_reset, goaway, stream_closed: RFC 7540 §7 error code (see error_code_name()).
    std::uint32_t error_code = 0;
    // goaway: the last stream id the sender processed, and its opaque debug data.
    std::int32_t last_stream_id = 0;
    std::string debug_data;
    // stream_reset, goaway: true when this side sent the frame (e.g. nghttp2 answered a protocol
    // violation), false when the peer sent it.
    bool local = false;
};

// First value of the header named `name` (lowercase) in a headers event, nullopt when absent.
// The view points into `e` and lives as long as it.
[[nodiscard]] std::optional<std::string_view> find_header(const event& e, std::string_view name) noexcept;

// The :status of a headers event as a number 100..999; nullopt when absent or not three digits.
[[nodiscard]] std::optional<int> status_of(const event& e) noexcept;

} // namespace wsp::h2
