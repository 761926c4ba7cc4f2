// Names, failure classes and descriptions of h2 error codes; RFC 7540 §7 error code names.
#include "h2/error.h"

#include <iterator>

namespace wsp::h2 {
namespace {

struct errc_info {
    std::string_view name;
    wsp::failure_class cls;
    std::string_view description;
};

using fc = wsp::failure_class;

// Indexed by errc value; the static_assert below keeps it in step with the enum.
constexpr errc_info infos[] = {
    {"ok", fc::none, "no error"},
    {"connect_protocol_not_enabled", fc::handshake,
     "server did not enable SETTINGS_ENABLE_CONNECT_PROTOCOL, so WebSocket over HTTP/2 is unavailable"},
    {"settings_not_received", fc::internal,
     "extended CONNECT attempted before the server's SETTINGS arrived"},
    {"unexpected_status", fc::handshake, "server answered the extended CONNECT with a non-2xx status"},
    {"missing_status", fc::handshake, "response headers carry no valid :status"},
    {"subprotocol_missing", fc::handshake, "server selected no subprotocol, one was asserted"},
    {"subprotocol_unrequested", fc::handshake, "server selected a subprotocol though none was offered"},
    {"subprotocol_not_offered", fc::handshake, "server selected a subprotocol the client did not offer"},
    {"subprotocol_mismatch", fc::handshake, "server selected a different subprotocol than asserted"},
    {"subprotocol_multiple", fc::handshake, "server selected more than one subprotocol"},
    {"extension_unrequested", fc::handshake, "server answered extensions though none were offered"},
    {"stream_reset", fc::protocol, "peer reset the stream"},
    {"goaway", fc::protocol, "peer sent GOAWAY"},
    {"session_error", fc::protocol, "HTTP/2 session failed on the peer's bytes"},
    {"invalid_header", fc::config, "header name or value not allowed in HTTP/2"},
    {"connection_specific_header", fc::config, "connection-specific header not allowed in HTTP/2"},
    {"reserved_header", fc::config, "header is set by the extended CONNECT itself or is forbidden"},
    {"invalid_scheme", fc::config, ":scheme must be https or http"},
    {"invalid_path", fc::config, ":path must be non-empty origin-form"},
    {"invalid_authority", fc::config, ":authority is empty or has characters not allowed"},
    {"invalid_subprotocol", fc::config, "offered subprotocol is not a token or is repeated"},
    {"invalid_status", fc::config, "response status outside 200..599"},
    {"unknown_stream", fc::internal, "no such stream on this session"},
    {"stream_closed", fc::peer_closed, "stream is closed or already ended for sending"},
    {"send_buffer_full", fc::limit, "stream send buffer is full"},
    {"stream_ids_exhausted", fc::limit, "session ran out of stream ids"},
    {"library_error", fc::internal, "nghttp2 failed a local operation"},
    {"already_responded", fc::internal, "the stream was already answered"},
};
static_assert(std::size(infos) == static_cast<std::size_t>(errc::already_responded) + 1);

const errc_info& info(std::uint16_t code) noexcept
{
    static constexpr errc_info unknown{"unknown", fc::internal, "unknown h2 error"};
    return code < std::size(infos) ? infos[code] : unknown;
}

std::string_view name_of(std::uint16_t code) noexcept { return info(code).name; }
wsp::failure_class class_of(std::uint16_t code) noexcept { return info(code).cls; }
std::string_view describe_of(std::uint16_t code) noexcept { return info(code).description; }

constexpr wsp::error_domain domain{"h2", &name_of, &class_of, &describe_of};

} // namespace

const wsp::error_domain& domain_of(errc) noexcept { return domain; }

std::string_view error_code_name(std::uint32_t code) noexcept
{
    // RFC 7540 §7 (unchanged in RFC 9113 §7).
    static constexpr std::string_view names[] = {
        "NO_ERROR",
        "PROTOCOL_ERROR",
        "INTERNAL_ERROR",
        "FLOW_CONTROL_ERROR",
        "SETTINGS_TIMEOUT",
        "STREAM_CLOSED",
        "FRAME_SIZE_ERROR",
        "REFUSED_STREAM",
        "CANCEL",
        "COMPRESSION_ERROR",
        "CONNECT_ERROR",
        "ENHANCE_YOUR_CALM",
        "INADEQUATE_SECURITY",
        "HTTP_1_1_REQUIRED",
    };
    return code < std::size(names) ? names[code] : "UNKNOWN_ERROR";
}

} // namespace wsp::h2
