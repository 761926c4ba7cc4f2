// RFC 8441 §4-§5 extended CONNECT: request header construction and validation, and the checks
// applied to the server's answer (RFC 6455 §4.1 subprotocol and extension rules).
#include "h2/extended_connect.h"

#include <algorithm>
#include <array>
#include <cstdio>

namespace wsp::h2 {
namespace {

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) noexcept
{
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

// RFC 9110 §5.6.2: tchar.
bool is_tchar(char c) noexcept
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        return true;
    }
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) noexcept { return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar); }

// RFC 9113 §8.2.1: no NUL, CR or LF, no leading or trailing whitespace; RFC 9110 §5.5: no other
// control characters except HTAB.
bool is_field_value(std::string_view v) noexcept
{
    if (!v.empty() && (v.front() == ' ' || v.front() == '\t' || v.back() == ' ' || v.back() == '\t')) {
        return false;
    }
    return std::none_of(v.begin(), v.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return (u < 0x20 && u != '\t') || u == 0x7f;
    });
}

// RFC 9113 §8.2.2: connection-specific fields must not appear in HTTP/2.
bool is_connection_specific(std::string_view name, std::string_view value) noexcept
{
    constexpr std::array<std::string_view, 5> names{"connection", "keep-alive", "proxy-connection",
                                                    "transfer-encoding", "upgrade"};
    if (std::any_of(names.begin(), names.end(), [&](std::string_view n) { return iequals(n, name); })) {
        return true;
    }
    // RFC 9113 §8.2.2: TE is allowed only with the value "trailers".
    return iequals(name, "te") && value != "trailers";
}

// RFC 9113 §8.3.1: authority = host [":" port] without userinfo; the characters nghttp2 accepts
// for it (unreserved, sub-delims, ':', '[', ']', '%'), minus '@'.
bool is_authority(std::string_view a) noexcept
{
    if (a.empty()) {
        return false;
    }
    return std::all_of(a.begin(), a.end(), [](char c) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
            return true;
        }
        return std::string_view("-._~!$&'()*+,;=:[]%").find(c) != std::string_view::npos;
    });
}

// RFC 9113 §8.3.1: :path is origin-form (starts with '/'), no fragment; visible ASCII only.
bool is_origin_form(std::string_view p) noexcept
{
    if (p.empty() || p.front() != '/') {
        return false;
    }
    return std::all_of(p.begin(), p.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u < 0x7f && c != '#';
    });
}

// Names this module sets on the extended CONNECT, plus the RFC 8441 §5 forbidden handshake
// headers: a caller's extra header may not repeat or override any of them.
constexpr std::array<std::string_view, 7> connect_reserved{"sec-websocket-key",
                                                           "sec-websocket-accept",
                                                           "sec-websocket-version",
                                                           "sec-websocket-protocol",
                                                           "sec-websocket-extensions",
                                                           "origin",
                                                           "host"};

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string join(std::span<const std::string_view> items)
{
    std::string out;
    for (std::string_view s : items) {
        if (!out.empty()) {
            out += ", ";
        }
        out += s;
    }
    return out;
}

} // namespace

wsp::expected<void> check_extra_header(const header_view& h,
                                       std::span<const std::string_view> reserved) noexcept
{
    // RFC 9113 §8.3: pseudo-headers are only those the protocol defines; callers cannot add them.
    if (!h.name.empty() && h.name.front() == ':') {
        return wsp::fail(errc::reserved_header);
    }
    // RFC 9110 §5.1: a field name is a token.
    if (!is_token(h.name) || !is_field_value(h.value)) {
        return wsp::fail(errc::invalid_header);
    }
    if (is_connection_specific(h.name, h.value)) {
        return wsp::fail(errc::connection_specific_header);
    }
    if (std::any_of(reserved.begin(), reserved.end(),
                    [&](std::string_view r) { return iequals(r, h.name); })) {
        return wsp::fail(errc::reserved_header);
    }
    return {};
}

wsp::expected<std::vector<header_field>> build_connect_headers(const connect_request& req)
{
    // RFC 8441 §5: :scheme is that of the target URI, https for wss and http for ws.
    if (req.scheme != "https" && req.scheme != "http") {
        return wsp::fail(errc::invalid_scheme);
    }
    if (!is_origin_form(req.path)) {
        return wsp::fail(errc::invalid_path);
    }
    if (!is_authority(req.authority)) {
        return wsp::fail(errc::invalid_authority);
    }
    for (std::size_t i = 0; i < req.subprotocols.size(); ++i) {
        // RFC 6455 §4.1: each offered subprotocol is a token, and no value repeats.
        const std::string_view p = req.subprotocols[i];
        if (!is_token(p) ||
            std::find(req.subprotocols.begin(), req.subprotocols.begin() + static_cast<std::ptrdiff_t>(i),
                      p) != req.subprotocols.begin() + static_cast<std::ptrdiff_t>(i)) {
            return wsp::fail(errc::invalid_subprotocol);
        }
    }
    if (!is_field_value(req.extensions) || !is_field_value(req.origin)) {
        return wsp::fail(errc::invalid_header);
    }
    for (const header_view& h : req.headers) {
        if (auto ok = check_extra_header(h, connect_reserved); !ok) {
            return wsp::unexpected(ok.error());
        }
    }

    std::vector<header_field> out;
    out.reserve(9 + req.headers.size());
    // RFC 8441 §4-§5: the extended CONNECT carries :protocol and, unlike plain CONNECT, :scheme
    // and :path.
    out.push_back({":method", "CONNECT"});
    out.push_back({":protocol", "websocket"});
    out.push_back({":scheme", std::string(req.scheme)});
    out.push_back({":path", std::string(req.path)});
    out.push_back({":authority", std::string(req.authority)});
    // RFC 8441 §5: sec-websocket-version is sent; sec-websocket-key/-accept are not used.
    out.push_back({"sec-websocket-version", "13"});
    if (!req.subprotocols.empty()) {
        out.push_back({"sec-websocket-protocol", join(req.subprotocols)});
    }
    if (!req.extensions.empty()) {
        out.push_back({"sec-websocket-extensions", std::string(req.extensions)});
    }
    if (!req.origin.empty()) {
        out.push_back({"origin", std::string(req.origin)});
    }
    for (const header_view& h : req.headers) {
        // RFC 9113 §8.2: field names are lowercase on HTTP/2.
        std::string name(h.name);
        std::transform(name.begin(), name.end(), name.begin(), lower);
        out.push_back({std::move(name), std::string(h.value)});
    }
    return out;
}

tl::expected<connect_accepted, connect_rejected>
validate_connect_response(const event& response, const connect_request& request,
                          std::string_view asserted_subprotocol)
{
    using rejected = tl::unexpected<connect_rejected>;
    const std::optional<int> status = status_of(response);
    // RFC 9113 §8.3.2: a response carries :status.
    if (!status) {
        return rejected(
            {errc::missing_status, "Server answered the extended CONNECT without a valid :status"});
    }
    // RFC 8441 §5: a 2xx response means the WebSocket is open on the stream.
    if (*status < 200 || *status > 299) {
        return rejected({errc::unexpected_status, "Server answered the extended CONNECT with " +
                                                      std::to_string(*status) + "; expected 2xx"});
    }

    connect_accepted out;
    out.status = *status;
    std::size_t protocol_fields = 0;
    for (const header_field& h : response.headers) {
        if (h.name == "sec-websocket-protocol") {
            ++protocol_fields;
            out.subprotocol = h.value;
        } else if (h.name == "sec-websocket-extensions") {
            out.extensions += out.extensions.empty() ? h.value : ", " + h.value;
        }
    }
    // RFC 6455 §4.1 (via RFC 8441 §5): the server selects at most one subprotocol.
    if (protocol_fields > 1 || out.subprotocol.find(',') != std::string::npos) {
        return rejected(
            {errc::subprotocol_multiple, "Server selected more than one subprotocol; expected at most one"});
    }
    if (!out.subprotocol.empty()) {
        if (request.subprotocols.empty()) {
            // RFC 6455 §4.1: a subprotocol the client did not request fails the connection.
            return rejected({errc::subprotocol_unrequested, "Server selected subprotocol " +
                                                                quoted(out.subprotocol) +
                                                                " though the client offered none"});
        }
        const auto& offered = request.subprotocols;
        // RFC 6455 §4.1: the selected value must be one the client offered (case-sensitive).
        if (std::find(offered.begin(), offered.end(), out.subprotocol) == offered.end()) {
            return rejected({errc::subprotocol_not_offered,
                             "Server selected subprotocol " + quoted(out.subprotocol) +
                                 ", which the client did not offer (offered: " + join(offered) + ")"});
        }
    }
    if (!asserted_subprotocol.empty()) {
        if (out.subprotocol.empty()) {
            return rejected({errc::subprotocol_missing,
                             "Server selected no subprotocol; expected " + quoted(asserted_subprotocol)});
        }
        if (out.subprotocol != asserted_subprotocol) {
            return rejected({errc::subprotocol_mismatch, "Server selected subprotocol " +
                                                             quoted(out.subprotocol) + "; expected " +
                                                             quoted(asserted_subprotocol)});
        }
    }
    // RFC 6455 §4.1: extensions not requested by the client fail the connection.
    if (!out.extensions.empty() && request.extensions.empty()) {
        return rejected({errc::extension_unrequested, "Server answered extensions " + quoted(out.extensions) +
                                                          " though the client offered none"});
    }
    return out;
}

std::string describe_reset(std::uint32_t error_code)
{
    char hex[16];
    const int n = std::snprintf(hex, sizeof hex, "0x%x", error_code);
    return "Server reset the stream with " + std::string(error_code_name(error_code)) + " (" +
           std::string(hex, static_cast<std::size_t>(n)) + ")";
}

std::string describe_goaway(const event& goaway)
{
    char hex[16];
    const int n = std::snprintf(hex, sizeof hex, "0x%x", goaway.error_code);
    std::string out = "Server sent GOAWAY with " + std::string(error_code_name(goaway.error_code)) + " (" +
                      std::string(hex, static_cast<std::size_t>(n)) + "), last stream " +
                      std::to_string(goaway.last_stream_id);
    if (!goaway.debug_data.empty()) {
        out += ": ";
        // Debug data is opaque peer bytes: keep printable ASCII only.
        for (char c : goaway.debug_data.substr(0, 200)) {
            out += (c >= 0x20 && c < 0x7f) ? c : '?';
        }
    }
    return out;
}

} // namespace wsp::h2
