// Base64 encode and strict decode (RFC 4648 §4) for the WebSocket key and accept values.
#include "http1/detail/base64.h"

#include <array>

namespace wsp::http1::detail {
namespace {

constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

consteval std::array<std::int8_t, 256> make_decode_table()
{
    std::array<std::int8_t, 256> t{};
    for (auto& v : t) {
        v = -1;
    }
    for (std::size_t i = 0; i < alphabet.size(); ++i) {
        t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    }
    return t;
}

constexpr std::array<std::int8_t, 256> decode_table = make_decode_table();

} // namespace

void base64_encode(std::span<const std::uint8_t> in, char* out) noexcept
{
    std::size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        const std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
        *out++ = alphabet[(v >> 18) & 63];
        *out++ = alphabet[(v >> 12) & 63];
        *out++ = alphabet[(v >> 6) & 63];
        *out++ = alphabet[v & 63];
    }
    const std::size_t left = in.size() - i;
    if (left == 0) {
        return;
    }
    std::uint32_t v = std::uint32_t{in[i]} << 16;
    if (left == 2) {
        v |= std::uint32_t{in[i + 1]} << 8;
    }
    *out++ = alphabet[(v >> 18) & 63];
    *out++ = alphabet[(v >> 12) & 63];
    *out++ = left == 2 ? alphabet[(v >> 6) & 63] : '=';
    *out = '=';
}

bool base64_decode_exact(std::string_view in, std::span<std::uint8_t> out) noexcept
{
    if (in.size() != base64_size(out.size())) {
        return false;
    }
    const std::size_t pad = (3 - out.size() % 3) % 3;
    std::size_t o = 0;
    for (std::size_t i = 0; i < in.size(); i += 4) {
        std::uint32_t v = 0;
        const bool last = i + 4 == in.size();
        for (std::size_t k = 0; k < 4; ++k) {
            const char c = in[i + k];
            // RFC 4648 §3.3: '=' only as final padding; anything outside the alphabet is invalid.
            if (last && k >= 4 - pad) {
                if (c != '=') {
                    return false;
                }
                v <<= 6;
                continue;
            }
            const std::int8_t d = decode_table[static_cast<unsigned char>(c)];
            if (d < 0) {
                return false;
            }
            v = (v << 6) | static_cast<std::uint32_t>(d);
        }
        const std::size_t n = last ? 3 - pad : 3;
        // RFC 4648 §3.5: canonical encodings have zero pad bits.
        if (last && pad != 0 && (v & ((1u << (8 * pad)) - 1)) != 0) {
            return false;
        }
        for (std::size_t k = 0; k < n; ++k) {
            out[o++] = static_cast<std::uint8_t>(v >> (16 - 8 * k));
        }
    }
    return true;
}

} // namespace wsp::http1::detail
