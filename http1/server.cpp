// Server-role upgrade helpers for the lab (RFC 6455 §4.2.1 request checks, §4.2.2 the 101).
#include "http1/server.h"

#include <array>
#include <charconv>
#include <cstring>
#include <optional>
#include <string>

#include "http1/detail/chars.h"
#include "http1/detail/text.h"
#include "http1/key.h"

namespace wsp::http1 {
namespace {

using detail::printable;

failure request_failure(errc code, int status, std::string sentence, std::string_view header = {},
                        std::string_view received = {})
{
    failure f;
    f.code = code;
    f.status = status;
    f.sentence = std::move(sentence);
    f.header = std::string(header);
    f.received = printable(received);
    return f;
}

bool has_token(std::span<const header> headers, std::string_view name, std::string_view token) noexcept
{
    for (const header& h : headers) {
        if (detail::iequals(h.name, name) && detail::list_contains_token(h.value, token)) {
            return true;
        }
    }
    return false;
}

struct writer {
    std::span<char> out;
    std::size_t needed = 0;
    void put(std::string_view s) noexcept
    {
        if (!s.empty() && needed + s.size() <= out.size()) {
            std::memcpy(out.data() + needed, s.data(), s.size());
        }
        needed += s.size();
    }
    void put_number(std::size_t v) noexcept
    {
        std::array<char, 24> digits{};
        const auto r = std::to_chars(digits.data(), digits.data() + digits.size(), v);
        put(std::string_view(digits.data(), static_cast<std::size_t>(r.ptr - digits.data())));
    }
    void put_header(std::string_view name, std::string_view value) noexcept
    {
        put(name);
        put(": ");
        put(value);
        put("\r\n");
    }
    [[nodiscard]] result<std::size_t> finish() const
    {
        if (needed > out.size()) {
            return tl::unexpected(request_failure(errc::buffer_too_small, 0,
                                                  "The response needs " + std::to_string(needed) +
                                                      " bytes; the buffer has " +
                                                      std::to_string(out.size())));
        }
        return needed;
    }
};

std::optional<failure> check_headers(std::span<const header> headers)
{
    for (const header& h : headers) {
        // RFC 7230 §3.2: field-name = token; field-content has no CR, LF, NUL or other CTL.
        if (!detail::is_token(h.name)) {
            return request_failure(errc::invalid_header_name, 0,
                                   "The header name \"" + printable(h.name) + "\" is not an RFC 7230 token",
                                   h.name, h.name);
        }
        if (!detail::is_field_value(h.value)) {
            return request_failure(errc::invalid_header_value, 0,
                                   "The value of header " + printable(h.name) +
                                       " contains a control character",
                                   h.name, h.value);
        }
    }
    return std::nullopt;
}

} // namespace

bool client_upgrade::offers_subprotocol(std::string_view name) const noexcept
{
    for (const header& h : headers) {
        if (!detail::iequals(h.name, "Sec-WebSocket-Protocol")) {
            continue;
        }
        std::string_view rest = h.value;
        std::string_view element;
        while (detail::next_list_element(rest, element)) {
            if (element == name) {
                return true;
            }
        }
    }
    return false;
}

result<client_upgrade> validate_upgrade_request(const request_head& head)
{
    // RFC 6455 §4.2.1 item 1: an HTTP/1.1 or higher GET request.
    if (head.method != "GET") {
        return tl::unexpected(request_failure(
            errc::bad_method, 400, "The upgrade request uses " + printable(head.method) + "; expected GET",
            {}, head.method));
    }
    if (head.minor_version < 1) {
        return tl::unexpected(request_failure(errc::bad_http_version, 400,
                                              "The upgrade request is HTTP/1.0; expected HTTP/1.1"));
    }
    // RFC 6455 §4.2.1 item 2: a Host header field.
    if (find_header(head.headers, "Host") == nullptr) {
        return tl::unexpected(
            request_failure(errc::missing_host, 400, "The upgrade request has no Host header", "Host"));
    }
    // RFC 6455 §4.2.1 items 3 and 4: Upgrade contains websocket, Connection contains Upgrade.
    if (find_header(head.headers, "Upgrade") == nullptr) {
        return tl::unexpected(request_failure(errc::missing_upgrade_header, 400,
                                              "The upgrade request has no Upgrade header", "Upgrade"));
    }
    if (!has_token(head.headers, "Upgrade", "websocket")) {
        return tl::unexpected(request_failure(errc::bad_upgrade_token, 400,
                                              "The Upgrade header does not contain websocket", "Upgrade",
                                              find_header(head.headers, "Upgrade")->value));
    }
    if (find_header(head.headers, "Connection") == nullptr) {
        return tl::unexpected(request_failure(errc::missing_connection_header, 400,
                                              "The upgrade request has no Connection header", "Connection"));
    }
    if (!has_token(head.headers, "Connection", "upgrade")) {
        return tl::unexpected(request_failure(errc::bad_connection_token, 400,
                                              "The Connection header does not contain Upgrade", "Connection",
                                              find_header(head.headers, "Connection")->value));
    }
    // RFC 6455 §4.2.1 item 5: exactly one key, base64 of 16 bytes.
    const header* key = find_header(head.headers, "Sec-WebSocket-Key");
    if (key == nullptr || count_headers(head.headers, "Sec-WebSocket-Key") != 1 ||
        !is_valid_key(key->value)) {
        return tl::unexpected(request_failure(
            errc::invalid_key, 400, "Sec-WebSocket-Key is missing, repeated, or not base64 of 16 bytes",
            "Sec-WebSocket-Key", key ? key->value : std::string_view()));
    }
    // RFC 6455 §4.2.1 item 6 and §4.4: version 13, else 426 naming the supported version.
    const header* version = find_header(head.headers, "Sec-WebSocket-Version");
    if (version == nullptr || version->value != "13" ||
        count_headers(head.headers, "Sec-WebSocket-Version") != 1) {
        return tl::unexpected(request_failure(errc::unsupported_ws_version, 426,
                                              "Sec-WebSocket-Version must be 13", "Sec-WebSocket-Version",
                                              version ? version->value : std::string_view()));
    }
    return client_upgrade{head.target, key->value, head.headers};
}

result<std::size_t> write_switching_protocols(std::span<char> out, std::string_view client_key,
                                              std::string_view subprotocol, std::span<const header> extra)
{
    if (!subprotocol.empty() && !detail::is_token(subprotocol)) {
        return tl::unexpected(
            request_failure(errc::invalid_subprotocol, 0,
                            "The subprotocol \"" + printable(subprotocol) + "\" is not an RFC 7230 token",
                            "Sec-WebSocket-Protocol", subprotocol));
    }
    if (auto f = check_headers(extra)) {
        return tl::unexpected(std::move(*f));
    }
    writer w{out};
    w.put("HTTP/1.1 101 Switching Protocols\r\n");
    w.put_header("Upgrade", "websocket");
    w.put_header("Connection", "Upgrade");
    w.put_header("Sec-WebSocket-Accept", compute_accept(client_key).view());
    if (!subprotocol.empty()) {
        w.put_header("Sec-WebSocket-Protocol", subprotocol);
    }
    for (const header& h : extra) {
        w.put_header(h.name, h.value);
    }
    w.put("\r\n");
    return w.finish();
}

result<std::size_t> write_response(std::span<char> out, int status, std::string_view reason,
                                   std::span<const header> headers, std::string_view body)
{
    // RFC 7230 §3.1.2: status-code = 3DIGIT.
    if (status < 100 || status > 999) {
        return tl::unexpected(request_failure(
            errc::invalid_status, 0, "The status " + std::to_string(status) + " is not three digits"));
    }
    if (reason.empty()) {
        reason = reason_phrase(status);
    }
    if (!detail::is_field_value(reason)) {
        return tl::unexpected(request_failure(errc::invalid_header_value, 0,
                                              "The reason phrase contains a control character", {}, reason));
    }
    if (auto f = check_headers(headers)) {
        return tl::unexpected(std::move(*f));
    }
    writer w{out};
    w.put("HTTP/1.1 ");
    w.put_number(static_cast<std::size_t>(status));
    w.put(" ");
    w.put(reason);
    w.put("\r\n");
    for (const header& h : headers) {
        w.put_header(h.name, h.value);
    }
    if (find_header(headers, "Content-Length") == nullptr) {
        w.put("Content-Length: ");
        w.put_number(body.size());
        w.put("\r\n");
    }
    w.put("\r\n");
    w.put(body);
    return w.finish();
}

std::string_view reason_phrase(int status) noexcept
{
    switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
    }
}

} // namespace wsp::http1
