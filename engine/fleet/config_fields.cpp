// The settings shared by modules and checks: types, ranges and the rules behind each (RFC 6455,
// RFC 9110 field syntax), with secret references resolved and never echoed.
#include "engine/fleet/detail/config_fields.h"

#include <algorithm>
#include <array>

#include <arpa/inet.h>

namespace wsp::fleet::detail {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr millis min_interval{1000};
constexpr millis max_interval{24 * 3'600'000};
constexpr unsigned max_retries = 10;
constexpr std::uint64_t max_message_bound = 64ULL << 20;

bool iequals(std::string_view a, std::string_view b) noexcept
{
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
        return lower(x) == lower(y);
    });
}

// Headers the upgrade request writer owns (RFC 6455 §4.1); they have their own settings.
bool owned_header(std::string_view name) noexcept
{
    constexpr std::array<std::string_view, 8> owned{"Host",
                                                    "Upgrade",
                                                    "Connection",
                                                    "Sec-WebSocket-Key",
                                                    "Sec-WebSocket-Version",
                                                    "Sec-WebSocket-Protocol",
                                                    "Sec-WebSocket-Extensions",
                                                    "Origin"};
    return std::any_of(owned.begin(), owned.end(), [&](std::string_view o) { return iequals(o, name); });
}

bool secret_header_name(std::string_view name) noexcept
{
    return iequals(name, "Authorization") || iequals(name, "Proxy-Authorization") || iequals(name, "Cookie");
}

bool secret_option_name(std::string_view name) noexcept
{
    return iequals(name, "password") || iequals(name, "token") || iequals(name, "secret");
}

// RFC 9110 §5.5: field values carry no CR, LF, NUL or other controls except HTAB.
bool valid_field_value(std::string_view v) noexcept
{
    return std::none_of(v.begin(), v.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return (u < 0x20 && u != '\t') || u == 0x7f;
    });
}

std::optional<std::string_view> get_string(element v, std::string_view field, const field_scope& f)
{
    std::string_view s;
    if (v.get_string().get(s) != simdjson::SUCCESS) {
        f.problem(errc::bad_field, field, "must be a string");
        return std::nullopt;
    }
    return s;
}

std::optional<bool> get_bool(element v, std::string_view field, const field_scope& f)
{
    bool b = false;
    if (v.get_bool().get(b) != simdjson::SUCCESS) {
        f.problem(errc::bad_field, field, "must be true or false");
        return std::nullopt;
    }
    return b;
}

std::optional<std::uint64_t> get_count(element v, std::string_view field, std::uint64_t lo, std::uint64_t hi,
                                       const field_scope& f)
{
    std::uint64_t n = 0;
    if (v.get_uint64().get(n) != simdjson::SUCCESS || n < lo || n > hi) {
        f.problem(errc::bad_field, field,
                  "must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
        return std::nullopt;
    }
    return n;
}

std::optional<millis> get_duration(element v, std::string_view field, const field_scope& f)
{
    std::uint64_t n = 0;
    if (v.get_uint64().get(n) == simdjson::SUCCESS) {
        if (n > 30ULL * 24 * 3'600'000) {
            f.problem(errc::bad_duration, field, std::to_string(n) + " ms is longer than 30 days");
            return std::nullopt;
        }
        return millis(static_cast<std::int64_t>(n));
    }
    std::string_view s;
    if (v.get_string().get(s) != simdjson::SUCCESS) {
        f.problem(errc::bad_duration, field, "must be milliseconds or a string like \"500ms\" or \"2s\"");
        return std::nullopt;
    }
    auto d = parse_duration(s);
    if (!d) {
        f.problem(errc::bad_duration, field,
                  shown(s) + " is not a duration (use e.g. \"500ms\", \"2s\", \"1m\")");
        return std::nullopt;
    }
    return *d;
}

std::optional<millis> get_positive_duration(element v, std::string_view field, const field_scope& f)
{
    auto d = get_duration(v, field, f);
    if (d && d->count() == 0) {
        f.problem(errc::bad_duration, field, "must be longer than 0");
        return std::nullopt;
    }
    return d;
}

std::optional<simdjson::dom::object> get_object(element v, std::string_view field, const field_scope& f)
{
    simdjson::dom::object o;
    if (v.get_object().get(o) != simdjson::SUCCESS) {
        f.problem(errc::bad_field, field, "must be an object");
        return std::nullopt;
    }
    return o;
}

struct resolved_secret {
    std::string value;
    bool from_reference = false; // env, file or sealed: always secret
};

// A value that may be a secret reference. Messages name the variable or the path, never a value.
std::optional<resolved_secret> get_secret(element v, std::string_view field, const field_scope& f)
{
    secret_ref ref;
    std::string_view s;
    if (v.get_string().get(s) == simdjson::SUCCESS) {
        ref.kind = is_sealed(s) ? secret_kind::sealed : secret_kind::literal;
        ref.text = std::string(s);
    } else {
        simdjson::dom::object o;
        if (v.get_object().get(o) != simdjson::SUCCESS || o.size() != 1) {
            f.problem(errc::bad_field, field,
                      "must be a string, {\"env\": \"NAME\"} or {\"file\": \"PATH\"}");
            return std::nullopt;
        }
        const auto kv = *o.begin();
        std::string_view where;
        if ((kv.key != "env" && kv.key != "file") || kv.value.get_string().get(where) != simdjson::SUCCESS ||
            where.empty()) {
            f.problem(errc::bad_field, field,
                      "must be a string, {\"env\": \"NAME\"} or {\"file\": \"PATH\"}");
            return std::nullopt;
        }
        ref.kind = kv.key == "env" ? secret_kind::env : secret_kind::file;
        ref.text = std::string(where);
    }
    const secret_sources none;
    auto value = resolve_secret(ref, f.ctx.sources != nullptr ? *f.ctx.sources : none, f.ctx.key);
    if (!value) {
        const wsp::error e = value.error();
        if (e == errc::secret_unavailable) {
            f.problem(e, field,
                      ref.kind == secret_kind::env ? "environment variable " + shown(ref.text) + " is not set"
                                                   : "cannot read secret file " + shown(ref.text));
        } else if (e == errc::no_master_key) {
            f.problem(e, field, "encrypted value needs WSPROBE_MASTER_KEY or a key file");
        } else if (e == errc::secret_tampered) {
            f.problem(e, field,
                      "encrypted value does not open with the master key (altered, cut, or sealed "
                      "with another key)");
        } else {
            f.problem(e, field, "encrypted value is malformed (expected enc:v1:<base64>)");
        }
        return std::nullopt;
    }
    return resolved_secret{std::move(*value), ref.kind != secret_kind::literal};
}

std::optional<std::vector<std::string>> get_tokens(element v, std::string_view field, bool tokens_only,
                                                   const field_scope& f)
{
    simdjson::dom::array arr;
    if (v.get_array().get(arr) != simdjson::SUCCESS) {
        f.problem(errc::bad_field, field, "must be an array of strings");
        return std::nullopt;
    }
    std::vector<std::string> out;
    for (element item : arr) {
        std::string_view s;
        if (item.get_string().get(s) != simdjson::SUCCESS) {
            f.problem(errc::bad_field, field, "must be an array of strings");
            return std::nullopt;
        }
        // RFC 6455 §4.1: each subprotocol is a token; extension offers are header values.
        if (tokens_only ? !is_token(s) : (s.empty() || !valid_field_value(s))) {
            f.problem(errc::bad_field, field,
                      shown(s) + (tokens_only ? " is not a token" : " is not a header value"));
            return std::nullopt;
        }
        out.emplace_back(s);
    }
    return out;
}

void apply_headers(element v, settings& s, const field_scope& f)
{
    auto obj = get_object(v, "headers", f);
    if (!obj) {
        return;
    }
    for (const auto kv : *obj) {
        const std::string field = "headers." + std::string(kv.key);
        // RFC 9110 §5.1: field names are tokens.
        if (!is_token(kv.key)) {
            f.problem(errc::bad_field, "headers", shown(kv.key) + " is not a header name");
            continue;
        }
        if (owned_header(kv.key)) {
            f.problem(errc::bad_field, field,
                      "is set by wsprobe itself (use origin, subprotocols or extensions)");
            continue;
        }
        auto value = get_secret(kv.value, field, f);
        if (!value) {
            continue;
        }
        if (!valid_field_value(value->value)) {
            f.problem(errc::bad_field, field, "value contains CR, LF or another control character");
            continue;
        }
        proto::header_field h{std::string(kv.key), std::move(value->value),
                              value->from_reference || secret_header_name(kv.key)};
        auto same = std::find_if(s.spec.headers.begin(), s.spec.headers.end(),
                                 [&](const proto::header_field& x) { return iequals(x.name, h.name); });
        if (same != s.spec.headers.end()) {
            *same = std::move(h);
        } else {
            s.spec.headers.push_back(std::move(h));
        }
    }
}

void apply_app_options(element v, settings& s, const field_scope& f)
{
    auto obj = get_object(v, "app_options", f);
    if (!obj) {
        return;
    }
    for (const auto kv : *obj) {
        const std::string field = "app_options." + std::string(kv.key);
        auto value = get_secret(kv.value, field, f);
        if (!value) {
            continue;
        }
        app_option o{std::string(kv.key), std::move(value->value),
                     value->from_reference || secret_option_name(kv.key)};
        auto same = std::find_if(s.app_options.begin(), s.app_options.end(),
                                 [&](const app_option& x) { return x.name == o.name; });
        if (same != s.app_options.end()) {
            *same = std::move(o);
        } else {
            s.app_options.push_back(std::move(o));
        }
    }
}

void apply_timeouts(element v, settings& s, const field_scope& f)
{
    auto obj = get_object(v, "timeouts", f);
    if (!obj) {
        return;
    }
    auto& t = s.spec.timeouts;
    for (const auto kv : *obj) {
        const std::string field = "timeouts." + std::string(kv.key);
        millis* slot = kv.key == "dns"       ? &t.dns
                       : kv.key == "connect" ? &t.connect
                       : kv.key == "tls"     ? &t.tls
                       : kv.key == "upgrade" ? &t.upgrade
                       : kv.key == "rtt"     ? &t.rtt
                       : kv.key == "close"   ? &t.close
                       : kv.key == "overall" ? &t.overall
                                             : nullptr;
        if (slot == nullptr) {
            f.problem(errc::unknown_field, field, "unknown field");
        } else if (auto d = get_positive_duration(kv.value, field, f)) {
            *slot = *d;
        }
    }
}

void apply_thresholds(element v, settings& s, const field_scope& f)
{
    auto obj = get_object(v, "thresholds", f);
    if (!obj) {
        return;
    }
    auto& t = s.spec.thresholds;
    for (const auto kv : *obj) {
        const std::string field = "thresholds." + std::string(kv.key);
        if (kv.key != "handshake_degraded" && kv.key != "rtt_degraded" && kv.key != "connect_degraded") {
            f.problem(errc::unknown_field, field, "unknown field");
            continue;
        }
        auto d = get_positive_duration(kv.value, field, f);
        if (!d) {
            continue;
        }
        if (kv.key == "handshake_degraded") {
            t.handshake_degraded = *d;
        } else if (kv.key == "rtt_degraded") {
            t.rtt_degraded = *d;
        } else {
            t.connect_degraded = *d;
        }
    }
}

void apply_tls_field(std::string_view key, element v, proto::tls_options& t, const field_scope& f)
{
    const std::string field = "tls." + std::string(key);
    if (key == "ca" || key == "cert") {
        if (auto p = get_string(v, field, f)) {
            (key == "ca" ? t.ca_file : t.cert_file) = std::string(*p);
        }
    } else if (key == "key") {
        if (auto p = get_secret(v, field, f)) {
            t.key_file = std::move(p->value);
        }
    } else if (key == "insecure" || key == "resume") {
        if (auto b = get_bool(v, field, f)) {
            (key == "insecure" ? t.insecure : t.resume) = *b;
        }
    } else if (key == "min_version") {
        auto p = get_string(v, field, f);
        if (p && (*p == "1.2" || *p == "1.3")) {
            t.min_tls13 = *p == "1.3";
        } else if (p) {
            f.problem(errc::bad_field, field, shown(*p) + " is not \"1.2\" or \"1.3\"");
        }
    } else if (key == "cert_warn_days") {
        if (auto n = get_count(v, field, 0, 3650, f)) {
            t.cert_warn_days = static_cast<unsigned>(*n);
        }
    } else {
        f.problem(errc::unknown_field, field, "unknown field");
    }
}

void apply_enum(std::string_view key, element v, settings& s, const field_scope& f)
{
    auto text = get_string(v, key, f);
    if (!text) {
        return;
    }
    if (key == "rtt") {
        constexpr std::array<std::pair<std::string_view, proto::rtt_mode>, 4> modes{
            {{"none", proto::rtt_mode::none},
             {"echo", proto::rtt_mode::echo},
             {"any", proto::rtt_mode::any},
             {"ping", proto::rtt_mode::ping}}};
        for (const auto& [n, m] : modes) {
            if (n == *text) {
                s.spec.rtt = m;
                return;
            }
        }
        f.problem(errc::bad_field, key, shown(*text) + " is not one of none, echo, any, ping");
        return;
    }
    if (*text == "any" || *text == "v4" || *text == "v6") {
        s.spec.family = *text == "v4"   ? proto::address_family::v4
                        : *text == "v6" ? proto::address_family::v6
                                        : proto::address_family::any;
        return;
    }
    f.problem(errc::bad_field, key, shown(*text) + " is not one of any, v4, v6");
}

void apply_text(std::string_view key, element v, settings& s, const field_scope& f)
{
    auto text = get_string(v, key, f);
    if (!text) {
        return;
    }
    if (key == "payload") {
        s.spec.payload = std::string(*text);
    } else if (key == "origin") {
        if (text->empty() || !valid_field_value(*text)) {
            f.problem(errc::bad_field, key, "must be a non-empty header value");
            return;
        }
        s.spec.origin = std::string(*text);
    } else if (key == "expect_subprotocol") {
        // RFC 6455 §4.1: a subprotocol is a token.
        if (!is_token(*text)) {
            f.problem(errc::bad_field, key, shown(*text) + " is not a token");
            return;
        }
        s.spec.expect_subprotocol = std::string(*text);
    } else if (key == "source_address") {
        std::array<unsigned char, 16> buf{};
        const std::string addr(*text);
        if (inet_pton(AF_INET, addr.c_str(), buf.data()) != 1 &&
            inet_pton(AF_INET6, addr.c_str(), buf.data()) != 1) {
            f.problem(errc::bad_field, key, shown(*text) + " is not an IPv4 or IPv6 address");
            return;
        }
        s.spec.source_address = addr;
    } else {
        if (!is_token(*text)) {
            f.problem(errc::bad_field, key, shown(*text) + " is not a preset name");
            return;
        }
        s.app = std::string(*text);
    }
}

} // namespace

bool apply_setting(std::string_view key, element value, settings& s, const field_scope& f)
{
    if (key == "interval") {
        auto d = get_duration(value, key, f);
        if (d && (*d < min_interval || *d > max_interval)) {
            f.problem(errc::bad_field, key, format_duration(*d) + " is outside 1s to 24h");
        } else if (d) {
            s.interval = *d;
        }
    } else if (key == "rtt" || key == "family") {
        apply_enum(key, value, s, f);
    } else if (key == "payload" || key == "origin" || key == "expect_subprotocol" ||
               key == "source_address" || key == "app") {
        apply_text(key, value, s, f);
    } else if (key == "binary") {
        if (auto b = get_bool(value, key, f)) {
            s.spec.binary = *b;
        }
    } else if (key == "headers") {
        apply_headers(value, s, f);
    } else if (key == "subprotocols" || key == "extensions") {
        if (auto list = get_tokens(value, key, key == "subprotocols", f)) {
            (key == "subprotocols" ? s.spec.subprotocols : s.spec.extensions) = std::move(*list);
        }
    } else if (key == "retries") {
        if (auto n = get_count(value, key, 0, max_retries, f)) {
            s.spec.retries = static_cast<unsigned>(*n);
        }
    } else if (key == "max_message_size") {
        if (auto n = get_count(value, key, 1, max_message_bound, f)) {
            s.spec.max_message_size = static_cast<std::size_t>(*n);
        }
    } else if (key == "timeouts") {
        apply_timeouts(value, s, f);
    } else if (key == "thresholds") {
        apply_thresholds(value, s, f);
    } else if (key == "tls") {
        if (auto obj = get_object(value, key, f)) {
            for (const auto kv : *obj) {
                apply_tls_field(kv.key, kv.value, s.spec.tls, f);
            }
        }
    } else if (key == "app_options") {
        apply_app_options(value, s, f);
    } else {
        return false;
    }
    return true;
}

void check_consistency(const settings& s, const field_scope& f)
{
    // RFC 6455 §5.5: control frames (ping) carry at most 125 bytes of payload.
    if (s.spec.rtt == proto::rtt_mode::ping && s.spec.payload.size() > 125) {
        f.problem(errc::bad_field, "payload", "is longer than the 125 bytes a ping frame can carry");
    }
    if (s.spec.payload.size() > s.spec.max_message_size) {
        f.problem(errc::bad_field, "payload", "is longer than max_message_size");
    }
    // RFC 6455 §4.1: the server may only select a subprotocol the client offered.
    if (s.spec.expect_subprotocol && std::find(s.spec.subprotocols.begin(), s.spec.subprotocols.end(),
                                               *s.spec.expect_subprotocol) == s.spec.subprotocols.end()) {
        f.problem(errc::bad_field, "expect_subprotocol",
                  shown(*s.spec.expect_subprotocol) + " is not among the offered subprotocols");
    }
    if (s.spec.tls.cert_file.has_value() != s.spec.tls.key_file.has_value()) {
        f.problem(errc::bad_field, s.spec.tls.cert_file ? "tls.key" : "tls.cert",
                  "a client certificate needs both tls.cert and tls.key");
    }
    if (!s.app && !s.app_options.empty()) {
        f.problem(errc::bad_field, "app_options", "given without app");
    }
}

std::string shown(std::string_view text)
{
    std::string out = "\"";
    const std::size_t n = std::min<std::size_t>(text.size(), 80);
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f) {
            constexpr std::string_view hex = "0123456789abcdef";
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    out += n < text.size() ? "...\"" : "\"";
    return out;
}

bool is_token(std::string_view s) noexcept
{
    constexpr std::string_view specials = "!#$%&'*+-.^_`|~";
    return !s.empty() && std::all_of(s.begin(), s.end(), [&](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               specials.find(c) != std::string_view::npos;
    });
}

void problem_sink::add(wsp::error code, std::string_view scope, std::string_view field, std::string_view what)
{
    if (report_.problems.size() >= max_) {
        report_.truncated = true;
        return;
    }
    std::string m(file_);
    m += ": ";
    m += scope;
    if (!field.empty()) {
        m += ": field ";
        m += field;
    }
    m += ": ";
    m += what;
    report_.problems.push_back({code, std::move(m)});
}

} // namespace wsp::fleet::detail
