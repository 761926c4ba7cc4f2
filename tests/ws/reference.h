// Byte-at-a-time reference implementations (RFC 6455 §5.3 masking, RFC 3629 UTF-8) that the
// word/SIMD code is checked against in tests and measured against in bench/micro/ws_bench.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "ws/mask.h"

namespace wsp::ws::reference {

// payload[i] ^= key[(offset + i) % 4], one byte at a time.
inline void mask_bytewise(std::span<std::uint8_t> data, mask_key key, std::uint64_t offset = 0) noexcept
{
    for (std::size_t i = 0; i < data.size(); ++i) {
        data[i] = static_cast<std::uint8_t>(data[i] ^ key[(offset + i) & 3U]);
    }
}

// Decodes each code point and checks its range: the obvious, slow validator.
inline bool naive_utf8_valid(std::span<const std::uint8_t> s) noexcept
{
    std::size_t i = 0;
    while (i < s.size()) {
        const std::uint8_t b = s[i];
        if (b < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = 0;
        std::uint32_t cp = 0;
        std::uint32_t min = 0;
        if ((b & 0xE0U) == 0xC0U) {
            len = 2;
            cp = b & 0x1FU;
            min = 0x80;
        } else if ((b & 0xF0U) == 0xE0U) {
            len = 3;
            cp = b & 0x0FU;
            min = 0x800;
        } else if ((b & 0xF8U) == 0xF0U) {
            len = 4;
            cp = b & 0x07U;
            min = 0x10000;
        } else {
            return false;
        }
        if (s.size() - i < len) {
            return false;
        }
        for (std::size_t j = 1; j < len; ++j) {
            const std::uint8_t c = s[i + j];
            if ((c & 0xC0U) != 0x80U) {
                return false;
            }
            cp = (cp << 6) | (c & 0x3FU);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        i += len;
    }
    return true;
}

} // namespace wsp::ws::reference
