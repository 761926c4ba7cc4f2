// Accessors over HTTP/2 session events (RFC 9113 §8.3.2: the :status pseudo-header).
#include "h2/event.h"

namespace wsp::h2 {

std::string_view to_string(event_kind k) noexcept
{
    switch (k) {
    case event_kind::settings: return "settings";
    case event_kind::headers: return "headers";
    case event_kind::data: return "data";
    case event_kind::end_of_stream: return "end_of_stream";
    case event_kind::stream_reset: return "stream_reset";
    case event_kind::goaway: return "goaway";
    case event_kind::stream_closed: return "stream_closed";
    }
    return "unknown";
}

std::optional<std::string_view> find_header(const event& e, std::string_view name) noexcept
{
    for (const header_field& h : e.headers) {
        if (h.name == name) {
            return std::string_view(h.value);
        }
    }
    return std::nullopt;
}

std::optional<int> status_of(const event& e) noexcept
{
    if (e.kind != event_kind::headers) {
        return std::nullopt;
    }
    const std::optional<std::string_view> v = find_header(e, ":status");
    // RFC 9113 §8.3.2: :status carries the three-digit status code.
    if (!v || v->size() != 3) {
        return std::nullopt;
    }
    int status = 0;
    for (char c : *v) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        status = status * 10 + (c - '0');
    }
    if (status < 100) {
        return std::nullopt;
    }
    return status;
}

} // namespace wsp::h2
