#include "engine/fleet/detail/text.h"

#include <array>
#include <charconv>
#include <cmath>

#include "proto/hex.h"

namespace wsp::fleet::detail {
namespace {

constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) noexcept
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept
{
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil {
    std::int64_t y;
    unsigned m;
    unsigned d;
};

civil civil_from_days(std::int64_t z) noexcept
{
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

std::optional<unsigned> digits(std::string_view s, std::size_t pos, std::size_t n)
{
    unsigned v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') {
            return std::nullopt;
        }
        v = v * 10 + static_cast<unsigned>(s[i] - '0');
    }
    return v;
}

void append_padded(std::string& out, std::int64_t v, int width)
{
    std::array<char, 24> buf{};
    auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    const auto len = static_cast<int>(end - buf.data());
    for (int i = len; i < width; ++i) {
        out += '0';
    }
    out.append(buf.data(), end);
}

} // namespace

std::string base64_encode(std::span<const std::uint8_t> bytes)
{
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t v =
            (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest == 1) {
        const std::uint32_t v = std::uint32_t{bytes[i]} << 16;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += "==";
    } else if (rest == 2) {
        const std::uint32_t v = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text)
{
    if (text.size() % 4 != 0) {
        return std::nullopt;
    }
    std::vector<std::uint8_t> out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        std::size_t pad = 0;
        if (last && text[i + 3] == '=') {
            pad = text[i + 2] == '=' ? 2 : 1;
        }
        std::uint32_t v = 0;
        for (std::size_t j = 0; j < 4 - pad; ++j) {
            const int d = base64_value(text[i + j]);
            if (d < 0) {
                return std::nullopt;
            }
            v |= static_cast<std::uint32_t>(d) << (18 - 6 * j);
        }
        // RFC 4648 §3.5: the bits below the last full byte must be zero in canonical encodings.
        if ((pad == 1 && (v & 0xFF) != 0) || (pad == 2 && (v & 0xFFFF) != 0)) {
            return std::nullopt;
        }
        out.push_back(static_cast<std::uint8_t>(v >> 16));
        if (pad < 2) {
            out.push_back(static_cast<std::uint8_t>(v >> 8));
        }
        if (pad < 1) {
            out.push_back(static_cast<std::uint8_t>(v));
        }
    }
    return out;
}

std::optional<std::vector<std::uint8_t>> hex_decode(std::string_view text)
{
    if (text.size() % 2 != 0) {
        return std::nullopt;
    }
    std::vector<std::uint8_t> out;
    out.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2) {
        const int hi = proto::hex_value(text[i]);
        const int lo = proto::hex_value(text[i + 1]);
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
    }
    return out;
}

std::optional<std::int64_t> parse_utc_timestamp(std::string_view s)
{
    if (s.size() != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
        s[19] != 'Z') {
        return std::nullopt;
    }
    const auto y = digits(s, 0, 4);
    const auto mo = digits(s, 5, 2);
    const auto d = digits(s, 8, 2);
    const auto h = digits(s, 11, 2);
    const auto mi = digits(s, 14, 2);
    const auto se = digits(s, 17, 2);
    if (!y || !mo || !d || !h || !mi || !se || *mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 ||
        *mi > 59 || *se > 60) {
        return std::nullopt;
    }
    return days_from_civil(*y, *mo, *d) * 86400 + std::int64_t{*h} * 3600 + std::int64_t{*mi} * 60 + *se;
}

std::string format_utc_timestamp(std::int64_t unix_ns)
{
    std::int64_t ms = unix_ns / 1'000'000;
    if (unix_ns % 1'000'000 < 0) {
        --ms;
    }
    std::int64_t days = ms / 86'400'000;
    std::int64_t rem = ms % 86'400'000;
    if (rem < 0) {
        rem += 86'400'000;
        --days;
    }
    const civil c = civil_from_days(days);
    std::string out;
    out.reserve(24);
    append_padded(out, c.y, 4);
    out += '-';
    append_padded(out, c.m, 2);
    out += '-';
    append_padded(out, c.d, 2);
    out += 'T';
    append_padded(out, rem / 3'600'000, 2);
    out += ':';
    append_padded(out, rem / 60'000 % 60, 2);
    out += ':';
    append_padded(out, rem / 1000 % 60, 2);
    out += '.';
    append_padded(out, rem % 1000, 3);
    out += 'Z';
    return out;
}

void append_label_value(std::string& out, std::string_view value)
{
    for (const char c : value) {
        switch (c) {
        case '\\':
            out += "\\\\";
            break;
        case '"':
            out += "\\\"";
            break;
        case '\n':
            out += "\\n";
            break;
        default:
            out += c;
        }
    }
}

void append_help_text(std::string& out, std::string_view text)
{
    for (const char c : text) {
        switch (c) {
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        default:
            out += c;
        }
    }
}

void append_number(std::string& out, double v)
{
    if (std::isnan(v)) {
        out += "NaN";
        return;
    }
    if (std::isinf(v)) {
        out += v > 0 ? "+Inf" : "-Inf";
        return;
    }
    std::array<char, 32> buf{};
    auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    out.append(buf.data(), end);
}

void append_number(std::string& out, std::uint64_t v)
{
    std::array<char, 24> buf{};
    auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    out.append(buf.data(), end);
}

void append_number(std::string& out, std::int64_t v)
{
    std::array<char, 24> buf{};
    auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    out.append(buf.data(), end);
}

void append_family(std::string& out, std::string_view name, std::string_view type, std::string_view help)
{
    out += "# HELP ";
    out += name;
    out += ' ';
    append_help_text(out, help);
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

namespace {

void append_series(std::string& out, std::string_view name, std::string_view labels)
{
    out += name;
    if (!labels.empty()) {
        out += '{';
        out += labels;
        out += '}';
    }
    out += ' ';
}

} // namespace

void append_sample(std::string& out, std::string_view name, std::string_view labels, double value)
{
    append_series(out, name, labels);
    append_number(out, value);
    out += '\n';
}

void append_sample(std::string& out, std::string_view name, std::string_view labels, std::uint64_t value)
{
    append_series(out, name, labels);
    append_number(out, value);
    out += '\n';
}

std::string_view trim(std::string_view s) noexcept
{
    const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!s.empty() && space(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && space(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

} // namespace wsp::fleet::detail
