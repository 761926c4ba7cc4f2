// Sans-I/O HTTP/2 sessions over nghttp2's mem_recv/mem_send (RFC 9113) carrying WebSockets on
// streams opened by extended CONNECT (RFC 8441): a client role for probes, a server role for the lab.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "h2/error.h"
#include "h2/event.h"
#include "h2/extended_connect.h"
#include "proto/error.h"

namespace wsp::h2 {

namespace detail {
class session_core;
}

// Flow control: the session advertises these windows and replenishes them (WINDOW_UPDATE) only
// when the owner takes the matching data event from next_event(). Undrained data therefore stays
// bounded by the windows, and a slow owner back-pressures the peer instead of growing a queue.
struct session_options {
    std::uint32_t initial_window_size = 256 * 1024;     // per stream, SETTINGS_INITIAL_WINDOW_SIZE
    std::uint32_t connection_window_size = 1024 * 1024; // whole session (RFC 9113 §6.9.2)
    std::uint32_t max_concurrent_streams = 256;         // SETTINGS_MAX_CONCURRENT_STREAMS we accept
    std::size_t send_buffer_limit = 256 * 1024;         // bytes write() may queue per stream
};

// RFC 8441 §3: what the server's SETTINGS say about ENABLE_CONNECT_PROTOCOL.
enum class connect_protocol_setting : std::uint8_t {
    absent = 0,   // the setting is not sent at all
    disabled = 1, // sent with value 0
    enabled = 2,  // sent with value 1
};

struct server_options : session_options {
    connect_protocol_setting connect_protocol = connect_protocol_setting::enabled;
    // nghttp2's rapid-reset defence (CVE-2023-44487): a token bucket of `reset_burst` RST_STREAMs
    // from the client, refilled at `reset_rate` per second; when empty, the server sends
    // GOAWAY(INTERNAL_ERROR). Defaults are nghttp2's; load labs that cancel many streams raise them.
    std::uint64_t reset_burst = 1000;
    std::uint64_t reset_rate = 33;
};

// Behaviour shared by both roles. Single-threaded: one session belongs to one thread. Movable;
// moving keeps internal pointers valid (the state lives behind a pointer).
//
// Use: feed() what the transport received, then drain next_event() and react, then send what
// pending_output()/drain_output() yields. Every call may queue output, so drain output after any
// call. Events are queued only by nghttp2 callbacks; the callbacks do nothing else.
class session {
public:
    session(session&&) noexcept;
    session& operator=(session&&) noexcept;
    session(const session&) = delete;
    session& operator=(const session&) = delete;
    ~session();

    // Hands received bytes to nghttp2; all of them are consumed (a partial frame is kept inside
    // nghttp2, so "need more" is simply no new event). Fails with session_error when nghttp2
    // rejects the bytes fatally (bad preface, flooding); the session is then dead. A protocol
    // violation that nghttp2 answers with GOAWAY is not a failure here: it shows as a local
    // goaway event and is_alive() turns false once that GOAWAY has been sent.
    [[nodiscard]] wsp::expected<void> feed(std::span<const std::uint8_t> bytes);

    // Next chunk of bytes to send, empty when there is nothing (yet). The span points into
    // nghttp2's buffer (nghttp2_session_mem_send) and is valid only until the next call to
    // pending_output() or drain_output() or the session's destruction: send or copy it first.
    // Fails with library_error (out of memory) or session_error on a dead session.
    [[nodiscard]] wsp::expected<std::span<const std::uint8_t>> pending_output();

    // Appends every pending output byte to `out` (repeated pending_output()); returns how many.
    [[nodiscard]] wsp::expected<std::size_t> drain_output(std::vector<std::uint8_t>& out);

    // Takes the oldest queued event, nullopt when none. Taking a data event returns its bytes to
    // the flow-control windows (nghttp2_session_consume), so WINDOW_UPDATE follows in the output.
    [[nodiscard]] std::optional<event> next_event();

    // Appends bytes (e.g. WebSocket frames) to the stream's send buffer; nghttp2 turns them into
    // DATA frames as the peer's windows allow. All or nothing: send_buffer_full when the bytes do
    // not fit in session_options::send_buffer_limit. unknown_stream for a stream this session did
    // not open or answer; stream_closed after end_stream() or once the stream is closed.
    [[nodiscard]] wsp::expected<void> write(std::int32_t stream_id, std::span<const std::uint8_t> bytes);

    // Ends the sending side: END_STREAM goes out with the last buffered byte (RFC 9113 §5.1).
    [[nodiscard]] wsp::expected<void> end_stream(std::int32_t stream_id);

    // Sends RST_STREAM with `error_code` (RFC 7540 §7, default CANCEL); buffered data is dropped.
    [[nodiscard]] wsp::expected<void> reset_stream(std::int32_t stream_id, std::uint32_t error_code = cancel);

    // Sends GOAWAY with `error_code` and `debug_data`, naming the last stream this side processed.
    // No new streams are accepted afterwards; open ones may finish.
    [[nodiscard]] wsp::expected<void> send_goaway(std::uint32_t error_code = no_error,
                                                  std::string_view debug_data = {});

    // Bytes write() still accepts on the stream now; 0 for unknown or ended streams.
    [[nodiscard]] std::size_t send_buffer_space(std::int32_t stream_id) const noexcept;
    // Bytes buffered by write() and not yet taken into DATA frames.
    [[nodiscard]] std::size_t send_buffer_size(std::int32_t stream_id) const noexcept;

    // False once nghttp2 wants neither to read nor to write (after GOAWAY exchange or fatal error).
    [[nodiscard]] bool is_alive() const noexcept;

    // nghttp2's text for the last library failure behind session_error/library_error, "" if none.
    // Static storage.
    [[nodiscard]] std::string_view last_library_error() const noexcept;

protected:
    explicit session(std::unique_ptr<detail::session_core> core) noexcept;
    std::unique_ptr<detail::session_core> core_;
};

class client_session : public session {
public:
    // Creates the session and queues the connection preface and our SETTINGS (ENABLE_PUSH=0,
    // the windows of `options`). Fails with library_error when nghttp2 cannot allocate.
    [[nodiscard]] static wsp::expected<client_session> create(const session_options& options = {});

    // True once the peer's first SETTINGS frame arrived (it was queued as a settings event).
    [[nodiscard]] bool peer_settings_received() const noexcept;
    // The peer's current SETTINGS_ENABLE_CONNECT_PROTOCOL; 0 when never sent (RFC 8441 §3).
    [[nodiscard]] std::uint32_t peer_connect_protocol() const noexcept;

    // Opens a stream with an extended CONNECT for a WebSocket (RFC 8441 §4-§5) and returns its id.
    // RFC 8441 §4: only after the peer's SETTINGS carried ENABLE_CONNECT_PROTOCOL=1; otherwise
    // nothing is sent and it fails with settings_not_received (caller must wait for the settings
    // event; timing that wait is the caller's) or connect_protocol_not_enabled. Header problems
    // fail with the config errcs of build_connect_headers(). goaway when the peer already sent
    // GOAWAY; stream_ids_exhausted at the end of the id space. The stream stays open for DATA.
    [[nodiscard]] wsp::expected<std::int32_t> open_websocket(const connect_request& request);

private:
    explicit client_session(std::unique_ptr<detail::session_core> core) noexcept;
};

class server_session : public session {
public:
    // Creates the session and queues our SETTINGS: MAX_CONCURRENT_STREAMS, INITIAL_WINDOW_SIZE
    // and ENABLE_CONNECT_PROTOCOL as `options.connect_protocol` says. nghttp2 (1.52) accepts
    // :protocol in requests only if this side sent ENABLE_CONNECT_PROTOCOL=1; otherwise it resets
    // such streams with PROTOCOL_ERROR itself. Requests arrive as headers events.
    [[nodiscard]] static wsp::expected<server_session> create(const server_options& options = {});

    // Answers a request stream with `status` (200..599, else invalid_status) and extra headers
    // (checked by check_extra_header(); ":status" is not allowed among them). With end_stream
    // the response ends the stream; without, the stream stays open for DATA both ways.
    [[nodiscard]] wsp::expected<void> respond(std::int32_t stream_id, int status,
                                              std::span<const header_view> headers = {},
                                              bool end_stream = false);

    // respond(200) keeping the stream open, with sec-websocket-protocol when `subprotocol` is set.
    [[nodiscard]] wsp::expected<void> accept_websocket(std::int32_t stream_id,
                                                       std::string_view subprotocol = {});

private:
    explicit server_session(std::unique_ptr<detail::session_core> core) noexcept;
};

} // namespace wsp::h2
