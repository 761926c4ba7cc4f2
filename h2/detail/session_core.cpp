// nghttp2 plumbing for h2 sessions (RFC 9113): callbacks that only queue events, a data provider
// over per-stream send buffers (RFC 9113 §6.1 DATA, §5.2 flow control), mem_recv/mem_send.
#include "h2/detail/session_core.h"

#include <algorithm>
#include <new>
#include <utility>

namespace wsp::h2::detail {
namespace {

session_core& core_of(void* user_data) noexcept { return *static_cast<session_core*>(user_data); }

// nghttp2 is C: no exception may cross it. The callbacks only queue events, so the one thing
// that can throw is allocation; it becomes a callback failure, which fails the session.
template <class F> int guarded(F&& f) noexcept
{
    try {
        f();
        return 0;
    } catch (...) {
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
}

int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user_data) noexcept
{
    return guarded([&] {
        event& e = core_of(user_data).header_block();
        e = event{};
        e.kind = event_kind::headers;
        e.stream_id = frame->hd.stream_id;
    });
}

int on_header(nghttp2_session*, const nghttp2_frame*, const std::uint8_t* name, std::size_t name_len,
              const std::uint8_t* value, std::size_t value_len, std::uint8_t, void* user_data) noexcept
{
    return guarded([&] {
        core_of(user_data).header_block().headers.push_back(
            {std::string(reinterpret_cast<const char*>(name), name_len),
             std::string(reinterpret_cast<const char*>(value), value_len)});
    });
}

event settings_event(const nghttp2_settings& s)
{
    event e;
    e.kind = event_kind::settings;
    for (std::size_t i = 0; i < s.niv; ++i) {
        // RFC 8441 §3: SETTINGS_ENABLE_CONNECT_PROTOCOL (0x8); the last occurrence wins.
        if (s.iv[i].settings_id == NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL) {
            e.enable_connect_protocol = s.iv[i].value;
        } else if (s.iv[i].settings_id == NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS) {
            e.max_concurrent_streams = s.iv[i].value;
        }
    }
    return e;
}

event goaway_event(const nghttp2_goaway& g, bool local)
{
    event e;
    e.kind = event_kind::goaway;
    e.error_code = g.error_code;
    e.last_stream_id = g.last_stream_id;
    e.debug_data.assign(reinterpret_cast<const char*>(g.opaque_data), g.opaque_data_len);
    e.local = local;
    return e;
}

event simple_event(event_kind kind, std::int32_t stream_id, std::uint32_t error_code = 0, bool local = false)
{
    event e;
    e.kind = kind;
    e.stream_id = stream_id;
    e.error_code = error_code;
    e.local = local;
    return e;
}

int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) noexcept
{
    return guarded([&] {
        session_core& core = core_of(user_data);
        const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
        switch (frame->hd.type) {
        case NGHTTP2_HEADERS:
            if (core.header_block().stream_id == frame->hd.stream_id) {
                core.push(std::move(core.header_block()));
                core.header_block() = event{};
            }
            if (end_stream) {
                core.push(simple_event(event_kind::end_of_stream, frame->hd.stream_id));
            }
            break;
        case NGHTTP2_DATA:
            if (end_stream) {
                core.push(simple_event(event_kind::end_of_stream, frame->hd.stream_id));
            }
            break;
        case NGHTTP2_SETTINGS:
            if ((frame->hd.flags & NGHTTP2_FLAG_ACK) == 0) {
                core.push(settings_event(frame->settings));
            }
            break;
        case NGHTTP2_RST_STREAM:
            core.push(
                simple_event(event_kind::stream_reset, frame->hd.stream_id, frame->rst_stream.error_code));
            break;
        case NGHTTP2_GOAWAY: core.push(goaway_event(frame->goaway, false)); break;
        default: break;
        }
    });
}

int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user_data) noexcept
{
    return guarded([&] {
        session_core& core = core_of(user_data);
        if (frame->hd.type == NGHTTP2_RST_STREAM) {
            core.push(simple_event(event_kind::stream_reset, frame->hd.stream_id,
                                   frame->rst_stream.error_code, true));
        } else if (frame->hd.type == NGHTTP2_GOAWAY) {
            core.push(goaway_event(frame->goaway, true));
        }
    });
}

int on_data_chunk_recv(nghttp2_session*, std::uint8_t, std::int32_t stream_id, const std::uint8_t* data,
                       std::size_t len, void* user_data) noexcept
{
    return guarded([&] {
        event e = simple_event(event_kind::data, stream_id);
        e.data.assign(data, data + len);
        core_of(user_data).push(std::move(e));
    });
}

int on_stream_close(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code,
                    void* user_data) noexcept
{
    return guarded(
        [&] { core_of(user_data).push(simple_event(event_kind::stream_closed, stream_id, error_code)); });
}

// The data provider: moves bytes from the stream's send buffer into nghttp2's DATA frame. An
// empty buffer defers the stream (NGHTTP2_ERR_DEFERRED) until write()/end_stream() resume it;
// nghttp2 itself holds the stream while the peer's flow-control window is closed.
ssize_t read_stream_data(nghttp2_session*, std::int32_t, std::uint8_t* buf, std::size_t length,
                         std::uint32_t* data_flags, nghttp2_data_source* source, void*) noexcept
{
    auto& s = *static_cast<stream_state*>(source->ptr);
    const std::size_t n = s.pending.take(buf, length);
    if (n == 0 && !s.end_requested) {
        s.deferred = true;
        return NGHTTP2_ERR_DEFERRED;
    }
    if (s.end_requested && s.pending.empty()) {
        *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    }
    return static_cast<ssize_t>(n);
}

} // namespace

session_core::session_core(role r, const session_options& options) noexcept : role_(r), options_(options) {}

session_core::~session_core() { nghttp2_session_del(ng_); }

wsp::expected<void> session_core::start(std::span<const nghttp2_settings_entry> entries)
{
    nghttp2_session_callbacks* cbs = nullptr;
    if (const int rv = nghttp2_session_callbacks_new(&cbs); rv != 0) {
        return wsp::unexpected(library_failure(rv));
    }
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
    nghttp2_session_callbacks_set_on_frame_send_callback(cbs, on_frame_send);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk_recv);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);

    nghttp2_option* opt = nullptr;
    if (const int rv = nghttp2_option_new(&opt); rv != 0) {
        nghttp2_session_callbacks_del(cbs);
        return wsp::unexpected(library_failure(rv));
    }
    // Windows are replenished when the owner takes data events (next_event), not on receipt.
    nghttp2_option_set_no_auto_window_update(opt, 1);
    if (role_ == role::server) {
        nghttp2_option_set_stream_reset_rate_limit(opt, reset_burst_, reset_rate_);
    }

    const int rv = role_ == role::client ? nghttp2_session_client_new2(&ng_, cbs, this, opt)
                                         : nghttp2_session_server_new2(&ng_, cbs, this, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cbs);
    if (rv != 0) {
        ng_ = nullptr;
        return wsp::unexpected(library_failure(rv));
    }
    if (const int s = nghttp2_submit_settings(ng_, NGHTTP2_FLAG_NONE, entries.data(), entries.size());
        s != 0) {
        return wsp::unexpected(library_failure(s));
    }
    // RFC 9113 §6.9.2: the connection window starts at 65535 and only WINDOW_UPDATE grows it.
    const auto window =
        static_cast<std::int32_t>(std::min<std::uint32_t>(options_.connection_window_size, 0x7fffffff));
    if (const int w = nghttp2_session_set_local_window_size(ng_, NGHTTP2_FLAG_NONE, 0, window); w != 0) {
        return wsp::unexpected(library_failure(w));
    }
    return {};
}

void session_core::set_reset_rate_limit(std::uint64_t burst, std::uint64_t rate) noexcept
{
    reset_burst_ = burst;
    reset_rate_ = rate;
}

wsp::error session_core::library_failure(int rv) noexcept
{
    last_error_ = rv;
    if (nghttp2_is_fatal(rv) != 0 && rv != NGHTTP2_ERR_NOMEM) {
        dead_ = true;
        return errc::session_error;
    }
    return errc::library_error;
}

wsp::expected<void> session_core::feed(std::span<const std::uint8_t> bytes)
{
    if (dead_) {
        return wsp::fail(errc::session_error);
    }
    const ssize_t n = nghttp2_session_mem_recv(ng_, bytes.data(), bytes.size());
    if (n < 0) {
        // Fatal for the session (bad preface, flooding, callback failure): nothing more is read.
        last_error_ = static_cast<int>(n);
        dead_ = true;
        return wsp::fail(errc::session_error);
    }
    return {};
}

wsp::expected<std::span<const std::uint8_t>> session_core::pending_output()
{
    if (dead_) {
        return wsp::fail(errc::session_error);
    }
    // nghttp2_session_mem_send returns a pointer into the session's own frame buffer; it stays
    // valid only until the next mem_send call (or nghttp2_session_del), hence the span's contract.
    const std::uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(ng_, &data);
    if (n < 0) {
        return wsp::unexpected(library_failure(static_cast<int>(n)));
    }
    return std::span<const std::uint8_t>(data, static_cast<std::size_t>(n));
}

void session_core::push(event&& e)
{
    if (e.kind == event_kind::settings) {
        settings_received_ = true;
    }
    events_.push_back(std::move(e));
}

std::optional<event> session_core::next_event()
{
    if (events_.empty()) {
        return std::nullopt;
    }
    event e = std::move(events_.front());
    events_.pop_front();
    if (e.kind == event_kind::data && !dead_) {
        // The owner has the bytes now: give them back to the stream and connection windows.
        if (const int rv = nghttp2_session_consume(ng_, e.stream_id, e.data.size()); rv != 0) {
            (void)library_failure(rv);
        }
    } else if (e.kind == event_kind::stream_closed) {
        // nghttp2 no longer calls the data provider of a closed stream: its state can go.
        streams_.erase(e.stream_id);
    }
    return e;
}

stream_state* session_core::find(std::int32_t stream_id) const noexcept
{
    const auto it = streams_.find(stream_id);
    return it == streams_.end() ? nullptr : it->second.get();
}

wsp::expected<void> session_core::resume(std::int32_t stream_id, stream_state& s)
{
    if (!s.deferred) {
        return {};
    }
    s.deferred = false;
    const int rv = nghttp2_session_resume_data(ng_, stream_id);
    // INVALID_ARGUMENT: the stream is gone or nothing was deferred; nothing to resume then.
    if (rv != 0 && rv != NGHTTP2_ERR_INVALID_ARGUMENT) {
        return wsp::unexpected(library_failure(rv));
    }
    return {};
}

wsp::expected<void> session_core::write(std::int32_t stream_id, std::span<const std::uint8_t> bytes)
{
    if (dead_) {
        return wsp::fail(errc::session_error);
    }
    stream_state* s = find(stream_id);
    if (s == nullptr) {
        return wsp::fail(errc::unknown_stream);
    }
    // RFC 9113 §5.1: nothing may be sent after END_STREAM or on a closed stream.
    if (!s->has_provider || s->end_requested || nghttp2_session_get_stream_local_close(ng_, stream_id) == 1) {
        return wsp::fail(errc::stream_closed);
    }
    if (bytes.size() > options_.send_buffer_limit - s->pending.size()) {
        return wsp::fail(errc::send_buffer_full);
    }
    try {
        s->pending.append(bytes);
    } catch (const std::bad_alloc&) {
        return wsp::unexpected(library_failure(NGHTTP2_ERR_NOMEM));
    }
    return resume(stream_id, *s);
}

wsp::expected<void> session_core::end_stream(std::int32_t stream_id)
{
    if (dead_) {
        return wsp::fail(errc::session_error);
    }
    stream_state* s = find(stream_id);
    if (s == nullptr) {
        return wsp::fail(errc::unknown_stream);
    }
    if (!s->has_provider || s->end_requested || nghttp2_session_get_stream_local_close(ng_, stream_id) == 1) {
        return wsp::fail(errc::stream_closed);
    }
    s->end_requested = true;
    return resume(stream_id, *s);
}

wsp::expected<void> session_core::reset_stream(std::int32_t stream_id, std::uint32_t error_code)
{
    if (dead_) {
        return wsp::fail(errc::session_error);
    }
    // Streams this side opened or answered, or request streams the server has not answered yet.
    if (find(stream_id) == nullptr && nghttp2_session_find_stream(ng_, stream_id) == nullptr) {
        return wsp::fail(errc::unknown_stream);
    }
    if (const int rv = nghttp2_submit_rst_stream(ng_, NGHTTP2_FLAG_NONE, stream_id, error_code); rv != 0) {
        return wsp::unexpected(library_failure(rv));
    }
    return {};
}

wsp::expected<void> session_core::send_goaway(std::uint32_t error_code, std::string_view debug_data)
{
    if (dead_) {
        return wsp::fail(errc::session_error);
    }
    const int rv = nghttp2_submit_goaway(ng_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(ng_),
                                         error_code, reinterpret_cast<const std::uint8_t*>(debug_data.data()),
                                         debug_data.size());
    if (rv != 0) {
        return wsp::unexpected(library_failure(rv));
    }
    return {};
}

std::size_t session_core::send_buffer_space(std::int32_t stream_id) const noexcept
{
    const stream_state* s = find(stream_id);
    if (s == nullptr || !s->has_provider || s->end_requested) {
        return 0;
    }
    return options_.send_buffer_limit - s->pending.size();
}

std::size_t session_core::send_buffer_size(std::int32_t stream_id) const noexcept
{
    const stream_state* s = find(stream_id);
    return s == nullptr ? 0 : s->pending.size();
}

bool session_core::is_alive() const noexcept
{
    return !dead_ && (nghttp2_session_want_read(ng_) != 0 || nghttp2_session_want_write(ng_) != 0);
}

std::string_view session_core::last_library_error() const noexcept
{
    return last_error_ == 0 ? std::string_view() : std::string_view(nghttp2_strerror(last_error_));
}

std::uint32_t session_core::peer_setting(nghttp2_settings_id id) const noexcept
{
    return nghttp2_session_get_remote_settings(ng_, id);
}

bool session_core::request_allowed() const noexcept
{
    return nghttp2_session_check_request_allowed(ng_) != 0;
}

nghttp2_data_provider session_core::provider(stream_state& s) noexcept
{
    nghttp2_data_provider p{};
    p.source.ptr = &s;
    p.read_callback = read_stream_data;
    return p;
}

wsp::expected<std::int32_t> session_core::submit_request(std::span<const nghttp2_nv> headers)
{
    if (dead_) {
        return wsp::fail(errc::session_error);
    }
    // nghttp2 gives the request the session's next stream id. The state is registered under that
    // id before submitting, so a failed allocation never leaves nghttp2 pointing at freed state.
    const std::uint32_t next = nghttp2_session_get_next_stream_id(ng_);
    if (next > 0x7fffffffU) {
        return wsp::fail(errc::stream_ids_exhausted);
    }
    const auto id = static_cast<std::int32_t>(next);
    stream_state* s = add_stream(id);
    if (s == nullptr) {
        return wsp::unexpected(library_failure(NGHTTP2_ERR_NOMEM));
    }
    s->has_provider = true;
    const nghttp2_data_provider p = provider(*s);
    const std::int32_t rv = nghttp2_submit_request(ng_, nullptr, headers.data(), headers.size(), &p, nullptr);
    if (rv != id) {
        streams_.erase(id);
        return rv == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE
                   ? wsp::fail(errc::stream_ids_exhausted)
                   : wsp::unexpected(library_failure(rv < 0 ? rv : NGHTTP2_ERR_INVALID_STATE));
    }
    return id;
}

stream_state* session_core::add_stream(std::int32_t stream_id) noexcept
{
    try {
        auto [it, inserted] = streams_.try_emplace(stream_id, std::make_unique<stream_state>());
        return inserted ? it->second.get() : nullptr;
    } catch (const std::bad_alloc&) {
        return nullptr;
    }
}

wsp::expected<void> session_core::submit_response(std::int32_t stream_id, std::span<const nghttp2_nv> headers,
                                                  bool end_stream)
{
    if (dead_) {
        return wsp::fail(errc::session_error);
    }
    if (find(stream_id) != nullptr) {
        return wsp::fail(errc::already_responded);
    }
    if (nghttp2_session_find_stream(ng_, stream_id) == nullptr) {
        return wsp::fail(errc::unknown_stream);
    }
    stream_state* s = add_stream(stream_id);
    if (s == nullptr) {
        return wsp::unexpected(library_failure(NGHTTP2_ERR_NOMEM));
    }
    s->has_provider = !end_stream;
    const nghttp2_data_provider p = provider(*s);
    const int rv =
        nghttp2_submit_response(ng_, stream_id, headers.data(), headers.size(), end_stream ? nullptr : &p);
    if (rv != 0) {
        streams_.erase(stream_id);
        return wsp::unexpected(library_failure(rv));
    }
    return {};
}

} // namespace wsp::h2::detail
