// ws/wss URL parsing (RFC 6455 §3, RFC 3986 §3.2.2 for the host forms).
#include "proto/url.h"

#include <algorithm>
#include <charconv>

namespace wsp::proto {
namespace {

std::string_view errc_name(std::uint16_t c) noexcept
{
    switch (static_cast<errc>(c)) {
    case errc::ok: return "ok";
    case errc::bad_scheme: return "bad_scheme";
    case errc::empty_host: return "empty_host";
    case errc::bad_port: return "bad_port";
    case errc::bad_url: return "bad_url";
    case errc::userinfo_in_url: return "userinfo_in_url";
    case errc::fragment_in_url: return "fragment_in_url";
    case errc::bad_ipv6_literal: return "bad_ipv6_literal";
    case errc::bad_option: return "bad_option";
    }
    return "unknown";
}

wsp::failure_class errc_class(std::uint16_t) noexcept { return wsp::failure_class::config; }

std::string_view errc_describe(std::uint16_t c) noexcept
{
    switch (static_cast<errc>(c)) {
    case errc::ok: return "ok";
    case errc::bad_scheme: return "the URL must start with ws:// or wss://";
    case errc::empty_host: return "the URL has no host";
    case errc::bad_port: return "the port must be a number from 1 to 65535";
    case errc::bad_url: return "the URL is malformed";
    case errc::userinfo_in_url: return "user:password@ in the URL is not supported; use --header";
    case errc::fragment_in_url: return "WebSocket URLs cannot have a #fragment (RFC 6455 §3)";
    case errc::bad_ipv6_literal: return "the bracketed IPv6 address is not valid";
    case errc::bad_option: return "invalid option";
    }
    return "unknown error";
}

constexpr wsp::error_domain proto_domain{"proto", &errc_name, &errc_class, &errc_describe};

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool iequals(std::string_view a, std::string_view b) noexcept
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return lower(x) == lower(y);
           });
}

// RFC 3986 reg-name characters we accept in a host: unreserved and pct-encoded are not needed
// for DNS names, so letters, digits, '-', '.', '_' only.
bool is_host_char(char c) noexcept
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_';
}

// Characters allowed in the path/query (RFC 3986 pchar, '/', '?', and '%').
bool is_target_char(char c) noexcept
{
    if (c <= 0x20 || c >= 0x7f) {
        return false;
    }
    return c != '"' && c != '<' && c != '>' && c != '\\' && c != '^' && c != '`' && c != '{' &&
           c != '|' && c != '}' && c != '#';
}

// Dotted-quad IPv4: four decimal parts 0-255 (RFC 3986 IPv4address).
bool is_ipv4(std::string_view s) noexcept
{
    int parts = 0;
    std::size_t i = 0;
    while (i <= s.size()) {
        const std::size_t start = i;
        unsigned value = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 3) {
            value = value * 10 + static_cast<unsigned>(s[i] - '0');
            ++i;
        }
        if (i == start || value > 255 || (i - start > 1 && s[start] == '0')) {
            return false;
        }
        ++parts;
        if (i == s.size()) {
            break;
        }
        if (s[i] != '.' || parts == 4) {
            return false;
        }
        ++i;
    }
    return parts == 4;
}

bool is_hex(char c) noexcept
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// RFC 4291 §2.2 text forms: eight 16-bit groups, one "::" for a run of zeros, optionally an
// IPv4 dotted quad as the last 32 bits. Zone identifiers are not accepted.
bool is_ipv6(std::string_view s) noexcept
{
    int groups = 0;
    bool compressed = false;
    std::size_t i = 0;
    if (s.starts_with("::")) {
        compressed = true;
        i = 2;
        if (s.size() == 2) {
            return true;
        }
    } else if (s.starts_with(":")) {
        return false;
    }
    while (i < s.size()) {
        const std::size_t start = i;
        while (i < s.size() && is_hex(s[i]) && i - start < 4) {
            ++i;
        }
        if (i < s.size() && s[i] == '.') {
            if (!is_ipv4(s.substr(start))) {
                return false;
            }
            groups += 2;
            i = s.size();
            break;
        }
        if (i == start) {
            return false;
        }
        ++groups;
        if (i == s.size()) {
            break;
        }
        if (s[i] != ':') {
            return false;
        }
        ++i;
        if (i < s.size() && s[i] == ':') {
            if (compressed) {
                return false;
            }
            compressed = true;
            ++i;
        } else if (i == s.size()) {
            return false;
        }
    }
    return compressed ? groups < 8 : groups == 8;
}

} // namespace

const wsp::error_domain& domain_of(errc) noexcept { return proto_domain; }

std::string ws_url::authority() const
{
    std::string out;
    out.reserve(host.size() + 8);
    if (kind == host_kind::ipv6) {
        out += '[';
        out += host;
        out += ']';
    } else {
        out += host;
    }
    if (!default_port()) {
        out += ':';
        out += std::to_string(port);
    }
    return out;
}

std::string ws_url::text() const { return (secure ? "wss://" : "ws://") + authority() + target; }

wsp::expected<ws_url> parse_ws_url(std::string_view in)
{
    ws_url url;
    const auto sep = in.find("://");
    if (sep == std::string_view::npos) {
        return wsp::fail(errc::bad_scheme);
    }
    const auto scheme = in.substr(0, sep);
    if (iequals(scheme, "ws")) {
        url.secure = false;
    } else if (iequals(scheme, "wss")) {
        url.secure = true;
    } else {
        return wsp::fail(errc::bad_scheme);
    }
    url.port = url.secure ? 443 : 80;
    std::string_view rest = in.substr(sep + 3);
    if (rest.find('#') != std::string_view::npos) {
        return wsp::fail(errc::fragment_in_url);
    }
    const auto auth_end = rest.find_first_of("/?");
    std::string_view auth = rest.substr(0, auth_end);
    std::string_view target = auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end);
    if (auth.find('@') != std::string_view::npos) {
        return wsp::fail(errc::userinfo_in_url);
    }
    std::string_view host;
    std::string_view port;
    if (!auth.empty() && auth.front() == '[') {
        const auto close = auth.find(']');
        if (close == std::string_view::npos) {
            return wsp::fail(errc::bad_ipv6_literal);
        }
        host = auth.substr(1, close - 1);
        if (!is_ipv6(host)) {
            return wsp::fail(errc::bad_ipv6_literal);
        }
        url.kind = host_kind::ipv6;
        const auto after = auth.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                return wsp::fail(errc::bad_url);
            }
            port = after.substr(1);
            url.explicit_port = true;
        }
    } else {
        const auto colon = auth.rfind(':');
        host = auth.substr(0, colon);
        if (colon != std::string_view::npos) {
            port = auth.substr(colon + 1);
            url.explicit_port = true;
        }
        if (host.empty()) {
            return wsp::fail(errc::empty_host);
        }
        if (!std::all_of(host.begin(), host.end(), is_host_char)) {
            return wsp::fail(errc::bad_url);
        }
        url.kind = is_ipv4(host) ? host_kind::ipv4 : host_kind::name;
    }
    if (host.empty()) {
        return wsp::fail(errc::empty_host);
    }
    if (url.explicit_port) {
        unsigned value = 0;
        const auto* end = port.data() + port.size();
        const auto r = std::from_chars(port.data(), end, value);
        if (port.empty() || r.ec != std::errc{} || r.ptr != end || value == 0 || value > 65535) {
            return wsp::fail(errc::bad_port);
        }
        url.port = static_cast<std::uint16_t>(value);
    }
    if (!std::all_of(target.begin(), target.end(), is_target_char)) {
        return wsp::fail(errc::bad_url);
    }
    url.host.reserve(host.size());
    for (char c : host) {
        url.host += lower(c);
    }
    if (target.empty()) {
        url.target = "/";
    } else if (target.front() == '?') {
        url.target = "/" + std::string(target);
    } else {
        url.target = std::string(target);
    }
    return url;
}

std::string describe_url_error(const wsp::error& e, std::string_view input)
{
    std::string out = "invalid URL '";
    out += input;
    out += "': ";
    out += e.describe();
    return out;
}

} // namespace wsp::proto
