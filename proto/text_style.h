// Pieces of the text renderings shared by render.cpp, render_compare.cpp and render_streams.cpp:
// padded columns and the status word, coloured for a terminal.
#pragma once

#include <string>
#include <string_view>

#include "proto/check_result.h"

namespace wsp::proto::text {

inline constexpr std::string_view red = "\x1b[31m";
inline constexpr std::string_view reset = "\x1b[0m";

[[nodiscard]] constexpr std::string_view status_color(check_status s) noexcept
{
    switch (s) {
    case check_status::up:
        return "\x1b[32m";
    case check_status::degraded:
        return "\x1b[33m";
    case check_status::down:
        return red;
    }
    return red;
}

// "UP", "DEGRADED", "DOWN", between colour codes when `color`.
[[nodiscard]] inline std::string status_word(check_status s, bool color)
{
    std::string out(color ? status_color(s) : "");
    for (const char c : to_string(s)) {
        out += c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c;
    }
    out += color ? reset : "";
    return out;
}

// Appends `s`, then spaces up to `width` columns.
inline void pad(std::string& out, std::string_view s, std::size_t width)
{
    out += s;
    out.append(width > s.size() ? width - s.size() : 0, ' ');
}

} // namespace wsp::proto::text
