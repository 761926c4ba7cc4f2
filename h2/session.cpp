// HTTP/2 client and server sessions (RFC 9113) with the RFC 8441 extended CONNECT gate: the public
// face over detail::session_core.
#include "h2/session.h"

#include <algorithm>
#include <array>
#include <new>
#include <string>
#include <utility>

#include "h2/detail/session_core.h"

namespace wsp::h2 {
namespace {

nghttp2_nv to_nv(std::string_view name, std::string_view value) noexcept
{
    // nghttp2_submit_* copy names and values (no NO_COPY flags), so views may die after the call.
    return nghttp2_nv{reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
                      reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
                      value.size(), NGHTTP2_NV_FLAG_NONE};
}

std::uint32_t clamp_window(std::uint32_t w) noexcept
{
    // RFC 9113 §6.5.2: SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1 is a FLOW_CONTROL_ERROR.
    return std::min<std::uint32_t>(w, 0x7fffffffU);
}

wsp::expected<std::unique_ptr<detail::session_core>>
make_core(detail::role r, const session_options& options, std::span<const nghttp2_settings_entry> settings,
          const server_options* server = nullptr)
{
    std::unique_ptr<detail::session_core> core(new (std::nothrow) detail::session_core(r, options));
    if (!core) {
        return wsp::fail(errc::library_error);
    }
    if (server != nullptr) {
        core->set_reset_rate_limit(server->reset_burst, server->reset_rate);
    }
    if (auto started = core->start(settings); !started) {
        return wsp::unexpected(started.error());
    }
    return core;
}

} // namespace

session::session(std::unique_ptr<detail::session_core> core) noexcept : core_(std::move(core)) {}
session::session(session&&) noexcept = default;
session& session::operator=(session&&) noexcept = default;
session::~session() = default;

wsp::expected<void> session::feed(std::span<const std::uint8_t> bytes) { return core_->feed(bytes); }

wsp::expected<std::span<const std::uint8_t>> session::pending_output() { return core_->pending_output(); }

wsp::expected<std::size_t> session::drain_output(std::vector<std::uint8_t>& out)
{
    std::size_t total = 0;
    for (;;) {
        auto chunk = core_->pending_output();
        if (!chunk) {
            return wsp::unexpected(chunk.error());
        }
        if (chunk->empty()) {
            return total;
        }
        try {
            out.insert(out.end(), chunk->begin(), chunk->end());
        } catch (const std::bad_alloc&) {
            return wsp::fail(errc::library_error);
        }
        total += chunk->size();
    }
}

std::optional<event> session::next_event() { return core_->next_event(); }

wsp::expected<void> session::write(std::int32_t stream_id, std::span<const std::uint8_t> bytes)
{
    return core_->write(stream_id, bytes);
}

wsp::expected<void> session::end_stream(std::int32_t stream_id) { return core_->end_stream(stream_id); }

wsp::expected<void> session::reset_stream(std::int32_t stream_id, std::uint32_t error_code)
{
    return core_->reset_stream(stream_id, error_code);
}

wsp::expected<void> session::send_goaway(std::uint32_t error_code, std::string_view debug_data)
{
    return core_->send_goaway(error_code, debug_data);
}

std::size_t session::send_buffer_space(std::int32_t stream_id) const noexcept
{
    return core_->send_buffer_space(stream_id);
}

std::size_t session::send_buffer_size(std::int32_t stream_id) const noexcept
{
    return core_->send_buffer_size(stream_id);
}

bool session::is_alive() const noexcept { return core_->is_alive(); }

std::string_view session::last_library_error() const noexcept { return core_->last_library_error(); }

client_session::client_session(std::unique_ptr<detail::session_core> core) noexcept : session(std::move(core))
{
}

wsp::expected<client_session> client_session::create(const session_options& options)
{
    // RFC 9113 §6.5.2: a client that never accepts pushes says ENABLE_PUSH=0.
    const std::array<nghttp2_settings_entry, 3> settings{{
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, clamp_window(options.initial_window_size)},
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, options.max_concurrent_streams},
    }};
    auto core = make_core(detail::role::client, options, settings);
    if (!core) {
        return wsp::unexpected(core.error());
    }
    return client_session(std::move(*core));
}

bool client_session::peer_settings_received() const noexcept { return core_->peer_settings_received(); }

std::uint32_t client_session::peer_connect_protocol() const noexcept
{
    return core_->peer_setting(NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL);
}

wsp::expected<std::int32_t> client_session::open_websocket(const connect_request& request)
{
    if (core_->dead()) {
        return wsp::fail(errc::session_error);
    }
    // RFC 8441 §3: the client learns the server's support from its SETTINGS; wait for them.
    if (!core_->peer_settings_received()) {
        return wsp::fail(errc::settings_not_received);
    }
    // RFC 8441 §4: :protocol may be sent only after SETTINGS_ENABLE_CONNECT_PROTOCOL=1. nghttp2
    // 1.52 does not check this on the client side (only a server checks its own setting).
    if (peer_connect_protocol() != 1) {
        return wsp::fail(errc::connect_protocol_not_enabled);
    }
    // RFC 9113 §6.8: after GOAWAY no new streams may be opened on this connection.
    if (!core_->request_allowed()) {
        return wsp::fail(errc::goaway);
    }
    auto fields = build_connect_headers(request);
    if (!fields) {
        return wsp::unexpected(fields.error());
    }
    std::vector<nghttp2_nv> nva;
    try {
        nva.reserve(fields->size());
    } catch (const std::bad_alloc&) {
        return wsp::fail(errc::library_error);
    }
    for (const header_field& f : *fields) {
        nva.push_back(to_nv(f.name, f.value));
    }
    return core_->submit_request(nva);
}

server_session::server_session(std::unique_ptr<detail::session_core> core) noexcept : session(std::move(core))
{
}

wsp::expected<server_session> server_session::create(const server_options& options)
{
    std::array<nghttp2_settings_entry, 3> settings{{
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, options.max_concurrent_streams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, clamp_window(options.initial_window_size)},
        {NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 0},
    }};
    std::size_t count = 2;
    // RFC 8441 §3: the lab sends the setting as 1, as 0, or not at all, per scenario.
    if (options.connect_protocol != connect_protocol_setting::absent) {
        settings[2].value = options.connect_protocol == connect_protocol_setting::enabled ? 1 : 0;
        count = 3;
    }
    auto core = make_core(detail::role::server, options, std::span(settings.data(), count), &options);
    if (!core) {
        return wsp::unexpected(core.error());
    }
    return server_session(std::move(*core));
}

wsp::expected<void> server_session::respond(std::int32_t stream_id, int status,
                                            std::span<const header_view> headers, bool end_stream)
{
    // RFC 9110 §15: final status codes are 200..599 here (1xx would not be a final response).
    if (status < 200 || status > 599) {
        return wsp::fail(errc::invalid_status);
    }
    for (const header_view& h : headers) {
        if (auto ok = check_extra_header(h, {}); !ok) {
            return ok;
        }
    }
    const std::string status_text = std::to_string(status);
    std::vector<std::string> names;
    std::vector<nghttp2_nv> nva;
    try {
        names.reserve(headers.size());
        nva.reserve(headers.size() + 1);
        nva.push_back(to_nv(":status", status_text));
        for (const header_view& h : headers) {
            // RFC 9113 §8.2: field names are lowercase on HTTP/2.
            std::string& name = names.emplace_back(h.name);
            std::transform(name.begin(), name.end(), name.begin(), [](char c) {
                return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
            });
            nva.push_back(to_nv(name, h.value));
        }
    } catch (const std::bad_alloc&) {
        return wsp::fail(errc::library_error);
    }
    return core_->submit_response(stream_id, nva, end_stream);
}

wsp::expected<void> server_session::accept_websocket(std::int32_t stream_id, std::string_view subprotocol)
{
    const std::array<header_view, 1> protocol{{{"sec-websocket-protocol", subprotocol}}};
    return respond(stream_id, 200,
                   subprotocol.empty() ? std::span<const header_view>() : std::span(protocol));
}

} // namespace wsp::h2
