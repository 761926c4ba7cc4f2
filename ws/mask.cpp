// Masking, RFC 6455 §5.3. The key is rotated to the starting offset once, then applied 64 bytes
// (SSE2) or 8 bytes (portable) at a time; a run that is a multiple of 4 keeps the key's phase.
#include "ws/mask.h"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace wsp::ws {
namespace detail {

void copy_masked_words(std::uint8_t* dst, const std::uint8_t* src, std::size_t n, mask_key key) noexcept
{
    std::uint8_t pattern[8];
    std::memcpy(pattern, key.data(), 4);
    std::memcpy(pattern + 4, key.data(), 4);
    std::uint64_t k64 = 0;
    std::memcpy(&k64, pattern, 8);
    std::size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        std::uint64_t w[4];
        std::memcpy(w, src + i, 32);
        w[0] ^= k64;
        w[1] ^= k64;
        w[2] ^= k64;
        w[3] ^= k64;
        std::memcpy(dst + i, w, 32);
    }
    for (; i + 8 <= n; i += 8) {
        std::uint64_t w = 0;
        std::memcpy(&w, src + i, 8);
        w ^= k64;
        std::memcpy(dst + i, &w, 8);
    }
    for (; i < n; ++i) {
        dst[i] = static_cast<std::uint8_t>(src[i] ^ key[i & 3U]);
    }
}

} // namespace detail

namespace {

#if defined(__SSE2__)
void copy_masked_simd(std::uint8_t* dst, const std::uint8_t* src, std::size_t n, mask_key key) noexcept
{
    std::int32_t k32 = 0;
    std::memcpy(&k32, key.data(), 4);
    const __m128i k = _mm_set1_epi32(k32);
    std::size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 16));
        const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 32));
        const __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 48));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm_xor_si128(a, k));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i + 16), _mm_xor_si128(b, k));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i + 32), _mm_xor_si128(c, k));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i + 48), _mm_xor_si128(d, k));
    }
    for (; i + 16 <= n; i += 16) {
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm_xor_si128(a, k));
    }
    // The remaining 0-15 bytes start at a multiple of 16, so the key phase is still 0.
    detail::copy_masked_words(dst + i, src + i, n - i, key);
}
#endif

} // namespace

void copy_masked(std::uint8_t* dst, std::span<const std::uint8_t> src, mask_key key,
                 std::uint64_t offset) noexcept
{
    if (src.empty()) {
        return;
    }
    const mask_key k = rotate_key(key, offset);
#if defined(__SSE2__)
    copy_masked_simd(dst, src.data(), src.size(), k);
#else
    detail::copy_masked_words(dst, src.data(), src.size(), k);
#endif
}

void apply_mask(std::span<std::uint8_t> data, mask_key key, std::uint64_t offset) noexcept
{
    copy_masked(data.data(), data, key, offset);
}

} // namespace wsp::ws
