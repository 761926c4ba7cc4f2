// Character classes and list helpers shared by the http1 parser, writer and validator
// (RFC 7230 §3.2.6 token and field-value, §7 comma-separated lists). Internal header.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace wsp::http1::detail {

// Bit flags per byte value.
inline constexpr std::uint8_t tchar_bit = 1;  // RFC 7230 §3.2.6 tchar
inline constexpr std::uint8_t vchar_bit = 2;  // field-content octet: VCHAR, obs-text, SP, HTAB
inline constexpr std::uint8_t target_bit = 4; // request-target octet: visible ASCII

consteval std::array<std::uint8_t, 256> make_char_table()
{
    std::array<std::uint8_t, 256> t{};
    for (int c = 0; c < 256; ++c) {
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        const bool digit = c >= '0' && c <= '9';
        const std::string_view specials = "!#$%&'*+-.^_`|~";
        if (alpha || digit || specials.find(static_cast<char>(c)) != std::string_view::npos) {
            t[c] |= tchar_bit;
        }
        if (c == '\t' || (c >= 0x20 && c != 0x7f)) {
            t[c] |= vchar_bit;
        }
        if (c > 0x20 && c < 0x7f) {
            t[c] |= target_bit;
        }
    }
    return t;
}

inline constexpr std::array<std::uint8_t, 256> char_table = make_char_table();

[[nodiscard]] inline bool is_tchar(char c) noexcept
{
    return (char_table[static_cast<unsigned char>(c)] & tchar_bit) != 0;
}
[[nodiscard]] inline bool is_field_char(char c) noexcept
{
    return (char_table[static_cast<unsigned char>(c)] & vchar_bit) != 0;
}
[[nodiscard]] inline bool is_target_char(char c) noexcept
{
    return (char_table[static_cast<unsigned char>(c)] & target_bit) != 0;
}
[[nodiscard]] inline bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

[[nodiscard]] inline bool is_token(std::string_view s) noexcept
{
    if (s.empty()) {
        return false;
    }
    for (char c : s) {
        if (!is_tchar(c)) {
            return false;
        }
    }
    return true;
}

// True when every octet is allowed in a field value (no CR, LF, NUL or other CTL except HTAB).
[[nodiscard]] inline bool is_field_value(std::string_view s) noexcept
{
    for (char c : s) {
        if (!is_field_char(c)) {
            return false;
        }
    }
    return true;
}

[[nodiscard]] inline char ascii_lower(char c) noexcept
{
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

// ASCII case-insensitive equality (header names, tokens such as "websocket").
[[nodiscard]] inline bool iequals(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) {
            return false;
        }
    }
    return true;
}

[[nodiscard]] inline std::string_view trim_ows(std::string_view s) noexcept
{
    while (!s.empty() && is_ows(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_ows(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

// Takes the next element of an RFC 7230 §7 comma-separated list from `rest`, trimmed, skipping
// empty elements; commas inside quoted-strings (with backslash escapes) do not split. Returns
// false when the list is exhausted.
[[nodiscard]] inline bool next_list_element(std::string_view& rest, std::string_view& element) noexcept
{
    while (!rest.empty()) {
        std::size_t i = 0;
        bool quoted = false;
        for (; i < rest.size(); ++i) {
            const char c = rest[i];
            if (quoted && c == '\\') {
                ++i;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && c == ',') {
                break;
            }
        }
        const std::size_t end = i < rest.size() ? i : rest.size();
        element = trim_ows(rest.substr(0, end));
        rest.remove_prefix(end < rest.size() ? end + 1 : rest.size());
        if (!element.empty()) {
            return true;
        }
    }
    return false;
}

// True when the comma-separated list `value` has an element equal to `token`, ignoring case.
[[nodiscard]] inline bool list_contains_token(std::string_view value, std::string_view token) noexcept
{
    std::string_view element;
    while (next_list_element(value, element)) {
        if (iequals(element, token)) {
            return true;
        }
    }
    return false;
}

} // namespace wsp::http1::detail
