// The nghttp2 session behind h2::session (RFC 9113): callbacks that only queue events, per-stream
// send buffers feeding a data provider, and the mem_recv/mem_send plumbing.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>

#include "h2/detail/send_buffer.h"
#include "h2/error.h"
#include "h2/event.h"
#include "h2/session.h"
#include "proto/error.h"

namespace wsp::h2::detail {

enum class role : std::uint8_t { client = 0, server = 1 };

// One stream's outgoing side. Lives behind a unique_ptr so the data provider's pointer to it
// stays valid however the stream table rehashes.
struct stream_state {
    send_buffer pending;
    bool end_requested = false; // end_stream() called: END_STREAM after the last buffered byte
    bool deferred = false;      // the data provider returned NGHTTP2_ERR_DEFERRED; resume on write
    bool has_provider = false;  // DATA can be sent (false after a response that ended the stream)
};

class session_core {
public:
    session_core(role r, const session_options& options) noexcept;
    ~session_core();
    session_core(const session_core&) = delete;
    session_core& operator=(const session_core&) = delete;

    // Creates the nghttp2 session (callbacks, options: no automatic WINDOW_UPDATE) and queues our
    // SETTINGS `entries` plus the connection window of the options.
    [[nodiscard]] wsp::expected<void> start(std::span<const nghttp2_settings_entry> entries);
    // Server only, before start(): the incoming RST_STREAM token bucket (burst, refill per second).
    void set_reset_rate_limit(std::uint64_t burst, std::uint64_t rate) noexcept;

    [[nodiscard]] wsp::expected<void> feed(std::span<const std::uint8_t> bytes);
    [[nodiscard]] wsp::expected<std::span<const std::uint8_t>> pending_output();
    [[nodiscard]] std::optional<event> next_event();

    [[nodiscard]] wsp::expected<void> write(std::int32_t stream_id, std::span<const std::uint8_t> bytes);
    [[nodiscard]] wsp::expected<void> end_stream(std::int32_t stream_id);
    [[nodiscard]] wsp::expected<void> reset_stream(std::int32_t stream_id, std::uint32_t error_code);
    [[nodiscard]] wsp::expected<void> send_goaway(std::uint32_t error_code, std::string_view debug_data);
    [[nodiscard]] std::size_t send_buffer_space(std::int32_t stream_id) const noexcept;
    [[nodiscard]] std::size_t send_buffer_size(std::int32_t stream_id) const noexcept;
    [[nodiscard]] bool is_alive() const noexcept;
    [[nodiscard]] std::string_view last_library_error() const noexcept;

    // Client: submits a request whose stream stays open for DATA; returns the new stream id.
    [[nodiscard]] wsp::expected<std::int32_t> submit_request(std::span<const nghttp2_nv> headers);
    // Server: submits a response; with end_stream no DATA can follow.
    [[nodiscard]] wsp::expected<void> submit_response(std::int32_t stream_id,
                                                      std::span<const nghttp2_nv> headers, bool end_stream);

    [[nodiscard]] bool peer_settings_received() const noexcept { return settings_received_; }
    [[nodiscard]] std::uint32_t peer_setting(nghttp2_settings_id id) const noexcept;
    // False when GOAWAY was sent or received (nghttp2_session_check_request_allowed).
    [[nodiscard]] bool request_allowed() const noexcept;
    [[nodiscard]] bool dead() const noexcept { return dead_; }

    // Queue operations for the nghttp2 callbacks (see session_core.cpp); nothing else.
    void push(event&& e);
    event& header_block() noexcept { return building_; }

private:
    [[nodiscard]] wsp::error library_failure(int rv) noexcept;
    [[nodiscard]] stream_state* find(std::int32_t stream_id) const noexcept;
    // Registers a new stream's state; nullptr when the id is taken or memory ran out.
    [[nodiscard]] stream_state* add_stream(std::int32_t stream_id) noexcept;
    [[nodiscard]] wsp::expected<void> resume(std::int32_t stream_id, stream_state& s);
    [[nodiscard]] nghttp2_data_provider provider(stream_state& s) noexcept;

    role role_;
    session_options options_;
    nghttp2_session* ng_ = nullptr;
    std::deque<event> events_;
    event building_; // the header block being received (CONTINUATION keeps it contiguous)
    std::unordered_map<std::int32_t, std::unique_ptr<stream_state>> streams_;
    std::uint64_t reset_burst_ = 1000;
    std::uint64_t reset_rate_ = 33;
    int last_error_ = 0;
    bool dead_ = false;
    bool settings_received_ = false;
};

} // namespace wsp::h2::detail
