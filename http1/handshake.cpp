// Client-side checks of the upgrade response (RFC 6455 §4.1 items 1-6, §4.2.2 item 5.4), each
// failure turned into a code, a sentence a person can act on, and the facts behind it.
#include "http1/handshake.h"

#include <string>

#include "http1/detail/chars.h"
#include "http1/detail/text.h"
#include "http1/key.h"

namespace wsp::http1 {
namespace {

using detail::printable;

failure make(errc code, std::string sentence, int status, std::string_view header = {},
             std::string expected = {}, std::string received = {})
{
    failure f;
    f.code = code;
    f.sentence = std::move(sentence);
    f.status = status;
    f.header = std::string(header);
    f.expected = std::move(expected);
    f.received = std::move(received);
    return f;
}

// Calls f(element) for every list element of every header named `name`; stops when f is false.
template <class F>
void for_each_element(std::span<const header> headers, std::string_view name, F&& f)
{
    for (const header& h : headers) {
        if (!detail::iequals(h.name, name)) {
            continue;
        }
        std::string_view rest = h.value;
        std::string_view element;
        while (detail::next_list_element(rest, element)) {
            if (!f(element)) {
                return;
            }
        }
    }
}

// All values of the headers named `name`, joined with ", ", for quoting.
std::string joined_values(std::span<const header> headers, std::string_view name)
{
    std::string out;
    for (const header& h : headers) {
        if (detail::iequals(h.name, name)) {
            out += out.empty() ? "" : ", ";
            out += printable(h.value);
        }
    }
    return out;
}

std::string joined(std::span<const std::string_view> items)
{
    std::string out;
    for (std::string_view s : items) {
        out += out.empty() ? "" : ", ";
        out += printable(s);
    }
    return out;
}

std::string header_value(std::span<const header> headers, std::string_view name)
{
    const header* h = find_header(headers, name);
    return h ? printable(h->value) : std::string();
}

failure status_failure(const response_head& head)
{
    const int s = head.status;
    const std::string code = std::to_string(s);
    const std::string prefix = "Server returned " + code;
    if (s >= 300 && s < 400) {
        const std::string location = header_value(head.headers, "Location");
        if (location.empty()) {
            return make(errc::redirect_not_followed,
                        prefix + " redirect without a Location header; redirects are not followed during a "
                                 "WebSocket upgrade",
                        s, "Location", "101", code);
        }
        return make(errc::redirect_not_followed,
                    prefix + " redirect to " + location +
                        "; redirects are not followed during a WebSocket upgrade, so probe that URL directly",
                    s, "Location", "101", location);
    }
    if (s == 401) {
        return make(errc::unauthorized,
                    prefix + " Unauthorized: the server refused the credentials or found none; check the "
                             "Authorization header, cookie or token",
                    s, "WWW-Authenticate", "101", header_value(head.headers, "WWW-Authenticate"));
    }
    if (s == 403) {
        return make(errc::forbidden,
                    prefix + " Forbidden: the server refused access or the Origin; check the Origin header "
                             "and the credentials",
                    s, {}, "101", code);
    }
    if (s == 429) {
        const std::string retry = header_value(head.headers, "Retry-After");
        return make(errc::too_many_requests,
                    prefix + " Too Many Requests: the server is rate limiting" +
                        (retry.empty() ? std::string("; it sent no Retry-After")
                                       : "; Retry-After: " + retry + ", wait that long before retrying"),
                    s, "Retry-After", "101", retry);
    }
    if (s >= 500 && s < 600) {
        return make(errc::server_error,
                    prefix + " (" + printable(head.reason) +
                        "): server error; the fault is on the server side, not in the request",
                    s, {}, "101", code);
    }
    std::string sentence = prefix + "; expected 101 Switching Protocols";
    // RFC 6455 §4.4: a server that does not support the version answers with the ones it does.
    if (const std::string versions = joined_values(head.headers, "Sec-WebSocket-Version");
        s == 426 && !versions.empty()) {
        sentence += " (the server supports Sec-WebSocket-Version " + versions + ")";
    }
    return make(errc::unexpected_status, std::move(sentence), s, {}, "101", code);
}

// RFC 6455 §4.1 items 2 and 3: Upgrade contains "websocket", Connection contains "upgrade".
std::optional<failure> check_token(std::span<const header> headers, std::string_view name,
                                   std::string_view token, errc missing, errc bad, int status)
{
    if (find_header(headers, name) == nullptr) {
        return make(missing,
                    "The 101 response has no " + std::string(name) + " header; expected " +
                        std::string(name) + ": " + std::string(token),
                    status, name, std::string(token), {});
    }
    bool found = false;
    for_each_element(headers, name, [&](std::string_view e) {
        found = detail::iequals(e, token);
        return !found;
    });
    if (found) {
        return std::nullopt;
    }
    const std::string got = joined_values(headers, name);
    return make(bad,
                "The 101 response has " + std::string(name) + ": " + got +
                    "; expected it to contain the token " + std::string(token),
                status, name, std::string(token), got);
}

std::optional<failure> check_accept(std::span<const header> headers, std::string_view key, int status)
{
    const accept_value accept = compute_accept(key);
    const std::size_t n = count_headers(headers, "Sec-WebSocket-Accept");
    if (n == 1 && find_header(headers, "Sec-WebSocket-Accept")->value == accept.view()) {
        return std::nullopt;
    }
    // Failure paths only from here, so the strings may allocate.
    const std::string expected(accept.view());
    if (n == 0) {
        return make(errc::missing_accept,
                    "The 101 response has no Sec-WebSocket-Accept header; expected " + expected, status,
                    "Sec-WebSocket-Accept", expected, {});
    }
    // RFC 6455 §11.3.3: Sec-WebSocket-Accept MUST NOT appear more than once in a response.
    if (n > 1) {
        const std::string got = joined_values(headers, "Sec-WebSocket-Accept");
        return make(errc::multiple_accept_headers,
                    "The 101 response has " + std::to_string(n) + " Sec-WebSocket-Accept headers (" + got +
                        "); exactly one is allowed",
                    status, "Sec-WebSocket-Accept", expected, got);
    }
    const std::string_view got = find_header(headers, "Sec-WebSocket-Accept")->value;
    // RFC 6455 §4.1 item 4: the value must be base64(SHA-1(key + GUID)), compared exactly.
    if (got != expected) {
        return make(errc::accept_mismatch,
                    "Sec-WebSocket-Accept is " + printable(got) + "; expected " + expected + " for the key " +
                        printable(key) + " (the server or a proxy answered a different key)",
                    status, "Sec-WebSocket-Accept", expected, printable(got));
    }
    return std::nullopt;
}

// The extension name of a list element: the token before the first ';'.
std::string_view extension_name(std::string_view element) noexcept
{
    return detail::trim_ows(element.substr(0, element.find(';')));
}

bool was_offered(std::span<const std::string_view> offers, std::string_view name) noexcept
{
    for (std::string_view offer : offers) {
        std::string_view element;
        while (detail::next_list_element(offer, element)) {
            if (detail::iequals(extension_name(element), name)) {
                return true;
            }
        }
    }
    return false;
}

// RFC 6455 §4.1 item 5: every extension in the response must have been offered.
std::optional<failure> check_extensions(std::span<const header> headers, const client_offer& offer,
                                        int status, negotiated& out)
{
    std::optional<failure> bad;
    for_each_element(headers, "Sec-WebSocket-Extensions", [&](std::string_view element) {
        const std::string_view name = extension_name(element);
        if (!detail::is_token(name)) {
            bad = make(errc::malformed_extension,
                       "The 101 response has Sec-WebSocket-Extensions element " + printable(element) +
                           ", which does not start with an extension name",
                       status, "Sec-WebSocket-Extensions", {}, printable(element));
        } else if (!was_offered(offer.extensions, name)) {
            bad = make(errc::extension_not_offered,
                       "The server chose extension " + printable(name) + ", which was not offered" +
                           (offer.extensions.empty() ? std::string(" (no extensions were offered)")
                                                     : " (offered: " + joined(offer.extensions) + ")"),
                       status, "Sec-WebSocket-Extensions", joined(offer.extensions), printable(name));
        } else if (out.extension_count == max_extensions) {
            bad = make(errc::too_many_extensions,
                       "The server negotiated more than " + std::to_string(max_extensions) + " extensions",
                       status, "Sec-WebSocket-Extensions", {},
                       joined_values(headers, "Sec-WebSocket-Extensions"));
        } else {
            const std::size_t semi = element.find(';');
            const std::string_view params = semi == std::string_view::npos
                                                ? std::string_view()
                                                : detail::trim_ows(element.substr(semi + 1));
            out.extension_storage[out.extension_count++] = extension{name, params};
        }
        return !bad;
    });
    return bad;
}

// RFC 6455 §4.1 item 6: at most one subprotocol, one the client offered (exact match).
std::optional<failure> check_subprotocol(std::span<const header> headers, const client_offer& offer,
                                         int status, negotiated& out)
{
    std::size_t n = 0;
    for_each_element(headers, "Sec-WebSocket-Protocol", [&](std::string_view e) {
        if (n++ == 0) {
            out.subprotocol = e;
        }
        return true;
    });
    const auto expected_text = [&] {
        return offer.expect_subprotocol.empty() ? joined(offer.subprotocols)
                                                : printable(offer.expect_subprotocol);
    };
    if (n > 1) {
        const std::string expected = expected_text();
        const std::string got = joined_values(headers, "Sec-WebSocket-Protocol");
        return make(errc::multiple_subprotocols,
                    "The server chose " + std::to_string(n) + " subprotocols (" + got +
                        "); it must choose at most one",
                    status, "Sec-WebSocket-Protocol", expected, got);
    }
    if (n == 0) {
        if (offer.expect_subprotocol.empty() && !offer.require_subprotocol) {
            return std::nullopt;
        }
        const std::string expected = expected_text();
        return make(errc::subprotocol_missing,
                    "The server chose no subprotocol; expected " +
                        (offer.expect_subprotocol.empty() ? "one of: " + expected : expected),
                    status, "Sec-WebSocket-Protocol", expected, {});
    }
    bool offered = false;
    for (std::string_view s : offer.subprotocols) {
        offered = offered || s == out.subprotocol;
    }
    const bool matches = offer.expect_subprotocol.empty() || out.subprotocol == offer.expect_subprotocol;
    if (offered && matches) {
        return std::nullopt;
    }
    const std::string got = printable(out.subprotocol);
    if (!offered) {
        return make(errc::subprotocol_not_offered,
                    "The server chose subprotocol " + got + ", which was not offered" +
                        (offer.subprotocols.empty() ? std::string(" (no subprotocols were offered)")
                                                    : " (offered: " + joined(offer.subprotocols) + ")"),
                    status, "Sec-WebSocket-Protocol", joined(offer.subprotocols), got);
    }
    const std::string expected = expected_text();
    return make(errc::subprotocol_mismatch,
                "The server chose subprotocol " + got + "; expected " + expected +
                    " (compared case-sensitively)",
                status, "Sec-WebSocket-Protocol", expected, got);
}

std::string_view parse_error_subject(errc c) noexcept
{
    switch (c) {
    case errc::malformed_status_line:
        return "the status line is not HTTP/1.0 or HTTP/1.1 with a 3-digit status";
    case errc::malformed_header: return "has no header name or no colon";
    case errc::obs_fold: return "starts with whitespace (obsolete line folding is rejected)";
    case errc::whitespace_before_colon: return "has whitespace between the header name and the colon";
    case errc::invalid_field_name: return "has a header name with a character outside an RFC 7230 token";
    case errc::invalid_field_value: return "has a header value with a control character";
    case errc::bad_line_ending: return "has a CR that is not followed by LF";
    case errc::line_too_long: return "is longer than the line length limit";
    default: return {};
    }
}

} // namespace

result<negotiated> validate_upgrade_response(const response_head& head, std::size_t head_length,
                                             const client_offer& offer)
{
    // RFC 6455 §4.1 item 1: anything but 101 is handled per HTTP, which for a probe is a failure.
    if (head.status != 101) {
        return tl::unexpected(status_failure(head));
    }
    const int s = head.status;
    if (auto f = check_token(head.headers, "Upgrade", "websocket", errc::missing_upgrade_header,
                             errc::bad_upgrade_token, s)) {
        return tl::unexpected(std::move(*f));
    }
    if (auto f = check_token(head.headers, "Connection", "upgrade", errc::missing_connection_header,
                             errc::bad_connection_token, s)) {
        return tl::unexpected(std::move(*f));
    }
    if (auto f = check_accept(head.headers, offer.key, s)) {
        return tl::unexpected(std::move(*f));
    }
    negotiated out;
    out.head_length = head_length;
    out.minor_version = head.minor_version;
    if (auto f = check_extensions(head.headers, offer, s, out)) {
        return tl::unexpected(std::move(*f));
    }
    if (auto f = check_subprotocol(head.headers, offer, s, out)) {
        return tl::unexpected(std::move(*f));
    }
    return out;
}

failure describe_parse_error(const wsp::error& code, std::string_view buf, std::size_t error_offset)
{
    failure f;
    f.code = code;
    const std::string_view rest = error_offset < buf.size() ? buf.substr(error_offset) : std::string_view();
    const std::string_view line = rest.substr(0, rest.find('\n'));
    std::size_t line_no = 1;
    for (std::size_t i = 0; i < error_offset && i < buf.size(); ++i) {
        line_no += buf[i] == '\n' ? 1 : 0;
    }
    const auto c = static_cast<errc>(code.code());
    if (code.module() != "http1") {
        f.sentence = "Malformed HTTP response: " + std::string(code.describe());
    } else if (c == errc::head_too_large || c == errc::too_many_headers) {
        f.sentence = "The HTTP response head is too large: " + std::string(code.describe());
    } else if (c == errc::malformed_status_line) {
        f.sentence = "Malformed HTTP response: " + std::string(parse_error_subject(c)) + " (got " +
                     printable(line, 80) + ")";
    } else {
        const std::string_view subject = parse_error_subject(c);
        f.sentence = "Malformed HTTP response: line " + std::to_string(line_no) + " " +
                     std::string(subject.empty() ? code.describe() : subject) + " (" + printable(line, 80) +
                     ")";
    }
    f.received = printable(line, 200);
    return f;
}

result<std::optional<negotiated>> check_upgrade_response(std::string_view buf, std::size_t prev_len,
                                                         std::span<header> storage, const client_offer& offer,
                                                         const parse_limits& limits)
{
    response_head head;
    auto parsed = parse_response(buf, prev_len, storage, head, limits);
    if (!parsed) {
        return tl::unexpected(describe_parse_error(parsed.error(), buf, head.error_offset));
    }
    if (!parsed->complete()) {
        return std::optional<negotiated>();
    }
    auto v = validate_upgrade_response(head, parsed->head_length, offer);
    if (!v) {
        return tl::unexpected(std::move(v.error()));
    }
    return std::optional<negotiated>(*v);
}

} // namespace wsp::http1
