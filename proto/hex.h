// One hexadecimal digit's value, for the percent-decoders and hex payload parsers (RFC 3986
// §2.1: HEXDIG is case-insensitive).
#pragma once

namespace wsp::proto {

// 0-15 for '0'-'9', 'a'-'f' and 'A'-'F'; -1 for anything else.
[[nodiscard]] constexpr int hex_value(char c) noexcept
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

} // namespace wsp::proto
