// Character classes and list helpers shared by the http1 parser, writer and validator
// (RFC 7230 §3.2.6 token and field-value, §7 comma-separated lists). Internal header.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// Index of the first octet of `s` not allowed in a field value (see is_field_char), or s.size().
// Sixteen octets per step where SSE2 is available: an octet is fine when it is >= 0x20 and not
// DEL, or is HTAB.
[[nodiscard]] inline std::size_t find_non_field_char(std::string_view s) noexcept
{
    std::size_t i = 0;
#if defined(__SSE2__)
    const __m128i space = _mm_set1_epi8(0x20);
    const __m128i del = _mm_set1_epi8(0x7f);
    const __m128i tab = _mm_set1_epi8('\t');
    for (; i + 16 <= s.size(); i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
        const __m128i printable = _mm_cmpeq_epi8(_mm_max_epu8(v, space), v);
        const __m128i ok =
            _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(v, del), printable), _mm_cmpeq_epi8(v, tab));
        const unsigned bad = ~static_cast<unsigned>(_mm_movemask_epi8(ok)) & 0xffffu;
        if (bad != 0) {
            return i + static_cast<std::size_t>(__builtin_ctz(bad));
        }
    }
#endif
    for (; i < s.size(); ++i) {
        if (!is_field_char(s[i])) {
            return i;
        }
    }
    return s.size();
}

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
