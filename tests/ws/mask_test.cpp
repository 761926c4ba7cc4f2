// ws/mask.cpp (RFC 6455 §5.3): the SIMD and 64-bit-word paths equal the byte-at-a-time reference
// for every length 0..300, payload offset and buffer misalignment, whole or in chunks.
#include "ws/mask.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/ws/reference.h"

namespace wsp::ws {
namespace {

std::vector<std::uint8_t> noise(std::size_t n, std::uint32_t seed)
{
    std::vector<std::uint8_t> v(n);
    std::uint32_t x = seed * 2654435761U + 1;
    for (auto& b : v) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b = static_cast<std::uint8_t>(x);
    }
    return v;
}

constexpr mask_key key{0x37, 0xfa, 0x21, 0x3d};

TEST(mask, rfc_5_7_masked_hello)
{
    std::vector<std::uint8_t> hello{'H', 'e', 'l', 'l', 'o'};
    apply_mask(hello, key);
    EXPECT_EQ(hello, (std::vector<std::uint8_t>{0x7f, 0x9f, 0x4d, 0x51, 0x58}));
}

TEST(mask, simd_and_word_paths_equal_reference_for_all_lengths_offsets_alignments)
{
    for (std::size_t len = 0; len <= 300; ++len) {
        for (std::uint64_t offset = 0; offset < 8; ++offset) {
            for (std::size_t misalign = 0; misalign < 16; misalign += 3) {
                const auto src = noise(len + 16, static_cast<std::uint32_t>(len * 131 + offset));
                std::vector<std::uint8_t> want(src.begin() + misalign, src.begin() + misalign + len);
                reference::mask_bytewise(want, key, offset);

                auto simd = src;
                apply_mask({simd.data() + misalign, len}, key, offset);
                ASSERT_TRUE(std::equal(want.begin(), want.end(), simd.begin() + misalign))
                    << "apply_mask len=" << len << " offset=" << offset << " misalign=" << misalign;
                // Bytes around the range are untouched.
                ASSERT_TRUE(std::equal(src.begin(), src.begin() + misalign, simd.begin()));
                ASSERT_TRUE(
                    std::equal(src.begin() + misalign + len, src.end(), simd.begin() + misalign + len));

                auto words = src;
                detail::copy_masked_words(words.data() + misalign, src.data() + misalign, len,
                                          rotate_key(key, offset));
                ASSERT_TRUE(std::equal(want.begin(), want.end(), words.begin() + misalign))
                    << "words len=" << len << " offset=" << offset << " misalign=" << misalign;

                std::vector<std::uint8_t> copy(len + 1, 0xEE);
                copy_masked(copy.data() + 1, {src.data() + misalign, len}, key, offset);
                ASSERT_TRUE(std::equal(want.begin(), want.end(), copy.begin() + 1));
                ASSERT_EQ(copy[0], 0xEE);
            }
        }
    }
}

TEST(mask, chunked_masking_continues_from_any_offset)
{
    const auto src = noise(1000, 7);
    auto want = src;
    reference::mask_bytewise(want, key);
    for (std::size_t step : {1U, 2U, 3U, 5U, 7U, 13U, 64U, 65U, 333U}) {
        auto got = src;
        for (std::size_t pos = 0; pos < got.size(); pos += step) {
            const std::size_t n = std::min(step, got.size() - pos);
            apply_mask({got.data() + pos, n}, key, pos);
        }
        EXPECT_EQ(got, want) << "step " << step;
    }
}

TEST(mask, large_offsets_use_only_the_phase)
{
    auto a = noise(100, 3);
    auto b = a;
    apply_mask(a, key, (std::uint64_t{1} << 40) + 6);
    apply_mask(b, key, 2);
    EXPECT_EQ(a, b);
}

TEST(mask, applying_twice_restores_the_input)
{
    const auto src = noise(4099, 11);
    auto v = src;
    apply_mask(v, key, 1);
    EXPECT_NE(v, src);
    apply_mask(v, key, 1);
    EXPECT_EQ(v, src);
}

TEST(mask, rotate_key)
{
    EXPECT_EQ(rotate_key(key, 0), key);
    EXPECT_EQ(rotate_key(key, 1), (mask_key{0xfa, 0x21, 0x3d, 0x37}));
    EXPECT_EQ(rotate_key(key, 3), (mask_key{0x3d, 0x37, 0xfa, 0x21}));
    EXPECT_EQ(rotate_key(key, 4), key);
}

} // namespace
} // namespace wsp::ws
