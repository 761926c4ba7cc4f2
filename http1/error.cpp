// Names, failure classes and descriptions of the http1 error codes (RFC 6455 §4, RFC 7230 §3).
#include "http1/error.h"

#include <array>

namespace wsp::http1 {
namespace {

struct errc_info {
    std::string_view name;
    wsp::failure_class cls;
    std::string_view description;
};

using fc = wsp::failure_class;

// Indexed by the errc value; the static_assert below keeps it in step with the enum.
constexpr std::array<errc_info, 46> infos{{
    {"ok", fc::none, "ok"},
    {"unexpected_status", fc::handshake, "the server did not answer 101 Switching Protocols"},
    {"redirect_not_followed", fc::handshake, "the server redirected; redirects are not followed"},
    {"unauthorized", fc::handshake, "the server refused the credentials (401)"},
    {"forbidden", fc::handshake, "the server refused access or the Origin (403)"},
    {"too_many_requests", fc::handshake, "the server is rate limiting (429)"},
    {"server_error", fc::handshake, "the server reported an error (5xx)"},
    {"missing_upgrade_header", fc::handshake, "the 101 response has no Upgrade header"},
    {"bad_upgrade_token", fc::handshake, "the Upgrade header does not name websocket"},
    {"missing_connection_header", fc::handshake, "the 101 response has no Connection header"},
    {"bad_connection_token", fc::handshake, "the Connection header does not contain upgrade"},
    {"missing_accept", fc::handshake, "the 101 response has no Sec-WebSocket-Accept header"},
    {"accept_mismatch", fc::handshake, "Sec-WebSocket-Accept does not match the key sent"},
    {"subprotocol_not_offered", fc::handshake, "the server chose a subprotocol that was not offered"},
    {"subprotocol_missing", fc::handshake, "the server chose no subprotocol but one is required"},
    {"subprotocol_mismatch", fc::handshake, "the server chose a different subprotocol than asserted"},
    {"extension_not_offered", fc::handshake, "the server chose an extension that was not offered"},
    {"malformed_status_line", fc::protocol, "the response status line is not HTTP/1.x"},
    {"malformed_header", fc::protocol, "a header line has no name or no colon"},
    {"head_too_large", fc::limit, "the HTTP head exceeds the size limit"},
    {"too_many_headers", fc::limit, "the HTTP head has more headers than allowed"},
    {"line_too_long", fc::limit, "an HTTP head line exceeds the length limit"},
    {"invalid_header_name", fc::config, "a header name is not an RFC 7230 token"},
    {"invalid_header_value", fc::config, "a header value contains CR, LF, NUL or another control"},
    {"buffer_too_small", fc::limit, "the output buffer is too small"},
    {"multiple_subprotocols", fc::handshake, "the server chose more than one subprotocol"},
    {"multiple_accept_headers", fc::handshake, "Sec-WebSocket-Accept appears more than once"},
    {"malformed_request_line", fc::protocol, "the request line is not METHOD target HTTP/1.x"},
    {"bad_line_ending", fc::protocol, "a CR is not followed by LF"},
    {"obs_fold", fc::protocol, "a header line starts with whitespace (obsolete line folding)"},
    {"whitespace_before_colon", fc::protocol, "whitespace between a header name and its colon"},
    {"invalid_field_name", fc::protocol, "a header name contains a character outside token"},
    {"invalid_field_value", fc::protocol, "a header value contains a control character"},
    {"duplicate_owned_header", fc::config, "a custom header duplicates one the upgrade sets itself"},
    {"invalid_target", fc::config, "the request target must start with / and be visible ASCII"},
    {"invalid_host", fc::config, "the host is empty or contains invalid characters"},
    {"invalid_subprotocol", fc::config, "a subprotocol is not an RFC 7230 token"},
    {"entropy_failed", fc::internal, "the random source failed to produce a key"},
    {"too_many_extensions", fc::limit, "the server negotiated more extensions than supported"},
    {"malformed_extension", fc::handshake, "Sec-WebSocket-Extensions is not a valid list"},
    {"bad_method", fc::protocol, "the upgrade request method is not GET"},
    {"bad_http_version", fc::protocol, "the upgrade request is not HTTP/1.1"},
    {"missing_host", fc::protocol, "the upgrade request has no Host header"},
    {"invalid_key", fc::protocol, "Sec-WebSocket-Key is missing or not 16 bytes in base64"},
    {"unsupported_ws_version", fc::protocol, "Sec-WebSocket-Version is not 13"},
    {"invalid_status", fc::config, "the status code must be three digits, 100 to 999"},
}};
static_assert(infos.size() == static_cast<std::size_t>(errc::invalid_status) + 1);

const errc_info* find(std::uint16_t c) noexcept { return c < infos.size() ? &infos[c] : nullptr; }

std::string_view errc_name(std::uint16_t c) noexcept
{
    const auto* i = find(c);
    return i ? i->name : "unknown";
}

wsp::failure_class errc_class(std::uint16_t c) noexcept
{
    const auto* i = find(c);
    return i ? i->cls : fc::internal;
}

std::string_view errc_describe(std::uint16_t c) noexcept
{
    const auto* i = find(c);
    return i ? i->description : "unknown http1 error";
}

constexpr wsp::error_domain http1_domain{"http1", &errc_name, &errc_class, &errc_describe};

} // namespace

const wsp::error_domain& domain_of(errc) noexcept { return http1_domain; }

failure make_failure(errc code)
{
    failure f;
    f.code = code;
    f.sentence = std::string(f.code.describe());
    return f;
}

} // namespace wsp::http1
