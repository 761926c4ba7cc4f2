// Writing the client's upgrade request (RFC 6455 §4.1 items 1-10, RFC 7230 §5.4 Host) and its
// redacted transcript, from one emitter so the two can never disagree.
#include "http1/request.h"

#include <array>
#include <charconv>
#include <cstring>
#include <optional>

#include "http1/detail/chars.h"
#include "http1/detail/text.h"

namespace wsp::http1 {
namespace {

using detail::iequals;
using detail::printable;

constexpr std::string_view redacted = "<redacted>";

// Writes into a fixed span; on overflow stops writing but keeps counting the size needed.
struct span_sink {
    char* begin;
    char* end;
    std::size_t needed = 0;
    void put(std::string_view s) noexcept
    {
        if (!s.empty() && needed + s.size() <= static_cast<std::size_t>(end - begin)) {
            std::memcpy(begin + needed, s.data(), s.size());
        }
        needed += s.size();
    }
    void line_end() noexcept { put("\r\n"); }
    static constexpr bool redact = false;
};

struct transcript_sink {
    std::string text;
    void put(std::string_view s) { text.append(s); }
    void line_end() { text.push_back('\n'); }
    static constexpr bool redact = true;
};

bool is_ipv6_literal(std::string_view host) noexcept { return host.find(':') != std::string_view::npos; }

bool bracketed(std::string_view host) noexcept
{
    return host.size() >= 2 && host.front() == '[' && host.back() == ']';
}

// RFC 7230 §5.4 / RFC 3986 §3.2.2: a reg-name, IPv4 or IPv6 literal; no delimiters or controls.
bool valid_host(std::string_view host) noexcept
{
    if (bracketed(host)) {
        host = host.substr(1, host.size() - 2);
    }
    if (host.empty()) {
        return false;
    }
    for (char c : host) {
        if (!detail::is_target_char(c) || std::string_view("/?#@[]").find(c) != std::string_view::npos) {
            return false;
        }
    }
    return true;
}

// RFC 7230 §5.3.1 origin-form; RFC 6455 §3: no fragment.
bool valid_target(std::string_view target) noexcept
{
    if (target.empty()) {
        return true;
    }
    if (target.front() != '/') {
        return false;
    }
    for (char c : target) {
        if (!detail::is_target_char(c) || c == '#') {
            return false;
        }
    }
    return true;
}

constexpr std::array<std::string_view, 5> always_owned = {"Host", "Upgrade", "Connection",
                                                          "Sec-WebSocket-Key", "Sec-WebSocket-Version"};

// True when the writer emits a header named `name` for this request.
bool is_owned(const upgrade_request& req, std::string_view name) noexcept
{
    for (std::string_view o : always_owned) {
        if (iequals(o, name)) {
            return true;
        }
    }
    return (iequals(name, "Sec-WebSocket-Protocol") && !req.subprotocols.empty()) ||
           (iequals(name, "Sec-WebSocket-Extensions") && !req.extensions.empty()) ||
           (iequals(name, "Origin") && !req.origin.empty());
}

bool has_override(const upgrade_request& req, std::string_view name) noexcept
{
    for (const custom_header& h : req.headers) {
        if (h.override_owned && iequals(h.name, name)) {
            return true;
        }
    }
    return false;
}

failure config_failure(errc code, std::string sentence, std::string_view header, std::string_view received)
{
    failure f;
    f.code = code;
    f.sentence = std::move(sentence);
    f.header = printable(header);
    f.received = printable(received);
    return f;
}

std::optional<failure> check_value(std::string_view name, std::string_view value)
{
    for (std::size_t i = 0; i < value.size(); ++i) {
        // RFC 7230 §3.2: field-content excludes CR, LF, NUL and other CTLs except HTAB.
        if (!detail::is_field_char(value[i])) {
            return config_failure(errc::invalid_header_value,
                                  "The value of header " + printable(name) +
                                      " contains a control character (" + printable(value.substr(i, 1)) +
                                      " at offset " + std::to_string(i) +
                                      "); CR, LF, NUL and controls are not allowed",
                                  name, value);
        }
    }
    return std::nullopt;
}

template <class Sink>
void put_header(Sink& sink, std::string_view name, std::string_view value, bool secret)
{
    sink.put(name);
    sink.put(": ");
    sink.put(Sink::redact && (secret || is_secret_by_default(name)) ? redacted : value);
    sink.line_end();
}

// Emits the custom headers that replace the owned header `name`; true when there was one.
template <class Sink>
bool put_overrides(Sink& sink, const upgrade_request& req, std::string_view name)
{
    bool any = false;
    for (const custom_header& h : req.headers) {
        if (h.override_owned && iequals(h.name, name)) {
            put_header(sink, h.name, h.value, h.secret);
            any = true;
        }
    }
    return any;
}

template <class Sink>
void put_host(Sink& sink, const upgrade_request& req)
{
    if (put_overrides(sink, req, "Host")) {
        return;
    }
    sink.put("Host: ");
    const bool brackets = is_ipv6_literal(req.host) && !bracketed(req.host);
    sink.put(brackets ? "[" : "");
    sink.put(req.host);
    sink.put(brackets ? "]" : "");
    // RFC 7230 §5.4 and RFC 6455 §4.1 item 4: the port only when it is not the scheme's default.
    if (req.port != 0 && req.port != (req.secure ? 443 : 80)) {
        std::array<char, 8> digits{};
        digits[0] = ':';
        const auto r = std::to_chars(digits.data() + 1, digits.data() + digits.size(), req.port);
        sink.put(std::string_view(digits.data(), static_cast<std::size_t>(r.ptr - digits.data())));
    }
    sink.line_end();
}

template <class Sink>
void put_owned(Sink& sink, const upgrade_request& req, std::string_view name, std::string_view value)
{
    if (!put_overrides(sink, req, name)) {
        put_header(sink, name, value, false);
    }
}

template <class Sink>
void emit(Sink& sink, const upgrade_request& req, const websocket_key& key)
{
    sink.put("GET ");
    sink.put(req.target.empty() ? std::string_view("/") : req.target);
    sink.put(" HTTP/1.1");
    sink.line_end();
    put_host(sink, req);
    put_owned(sink, req, "Upgrade", "websocket");
    put_owned(sink, req, "Connection", "Upgrade");
    put_owned(sink, req, "Sec-WebSocket-Key", key.view());
    put_owned(sink, req, "Sec-WebSocket-Version", "13");
    if (!req.subprotocols.empty() && !put_overrides(sink, req, "Sec-WebSocket-Protocol")) {
        sink.put("Sec-WebSocket-Protocol: ");
        for (std::size_t i = 0; i < req.subprotocols.size(); ++i) {
            sink.put(i == 0 ? "" : ", ");
            sink.put(req.subprotocols[i]);
        }
        sink.line_end();
    }
    if (!req.extensions.empty() && !put_overrides(sink, req, "Sec-WebSocket-Extensions")) {
        for (std::string_view e : req.extensions) {
            put_header(sink, "Sec-WebSocket-Extensions", e, false);
        }
    }
    if (!req.origin.empty()) {
        put_owned(sink, req, "Origin", req.origin);
    }
    for (const custom_header& h : req.headers) {
        if (!(h.override_owned && is_owned(req, h.name))) {
            put_header(sink, h.name, h.value, h.secret);
        }
    }
}

} // namespace

bool is_secret_by_default(std::string_view name) noexcept
{
    return iequals(name, "Authorization") || iequals(name, "Cookie") || iequals(name, "Proxy-Authorization");
}

result<void> check_request_options(const upgrade_request& req)
{
    // The host only matters when no custom Host header replaces the writer's.
    if (!has_override(req, "Host") && !valid_host(req.host)) {
        return tl::unexpected(
            config_failure(errc::invalid_host,
                           "The host \"" + printable(req.host) +
                               "\" is empty or contains characters not allowed in a Host header",
                           "Host", req.host));
    }
    if (!valid_target(req.target)) {
        return tl::unexpected(
            config_failure(errc::invalid_target,
                           "The request target \"" + printable(req.target) +
                               "\" must start with / and contain only visible ASCII, no #fragment",
                           {}, req.target));
    }
    for (std::string_view p : req.subprotocols) {
        // RFC 6455 §4.1 item 10: each subprotocol is a token.
        if (!detail::is_token(p)) {
            return tl::unexpected(
                config_failure(errc::invalid_subprotocol,
                               "The subprotocol \"" + printable(p) + "\" is not an RFC 7230 token",
                               "Sec-WebSocket-Protocol", p));
        }
    }
    for (std::string_view e : req.extensions) {
        if (auto f = check_value("Sec-WebSocket-Extensions", e)) {
            return tl::unexpected(std::move(*f));
        }
    }
    if (auto f = check_value("Origin", req.origin)) {
        return tl::unexpected(std::move(*f));
    }
    for (const custom_header& h : req.headers) {
        // RFC 7230 §3.2: field-name = token.
        if (!detail::is_token(h.name)) {
            return tl::unexpected(
                config_failure(errc::invalid_header_name,
                               "The header name \"" + printable(h.name) +
                                   "\" is not an RFC 7230 token (letters, digits and !#$%&'*+-.^_`|~)",
                               h.name, h.name));
        }
        if (auto f = check_value(h.name, h.value)) {
            return tl::unexpected(std::move(*f));
        }
        if (!h.override_owned && is_owned(req, h.name)) {
            return tl::unexpected(
                config_failure(errc::duplicate_owned_header,
                               "The header " + printable(h.name) +
                                   " duplicates one the upgrade request sets itself; allow the "
                                   "override to replace it",
                               h.name, h.value));
        }
    }
    return {};
}

result<std::size_t> write_upgrade_request(std::span<char> out, const upgrade_request& req,
                                          const websocket_key& key)
{
    if (auto ok = check_request_options(req); !ok) {
        return tl::unexpected(std::move(ok.error()));
    }
    span_sink sink{out.data(), out.data() + out.size()};
    emit(sink, req, key);
    sink.line_end();
    if (sink.needed > out.size()) {
        failure f;
        f.code = errc::buffer_too_small;
        f.sentence = "The upgrade request needs " + std::to_string(sink.needed) + " bytes; the buffer has " +
                     std::to_string(out.size());
        f.expected = std::to_string(sink.needed);
        f.received = std::to_string(out.size());
        return tl::unexpected(std::move(f));
    }
    return sink.needed;
}

result<std::string> render_transcript(const upgrade_request& req, const websocket_key& key)
{
    if (auto ok = check_request_options(req); !ok) {
        return tl::unexpected(std::move(ok.error()));
    }
    transcript_sink sink;
    emit(sink, req, key);
    return std::move(sink.text);
}

} // namespace wsp::http1
