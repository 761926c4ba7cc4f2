// Payload masking, RFC 6455 §5.3: byte i of the payload is XORed with key[i % 4]. Word-at-a-time
// (SSE2 where the target has it, else 64-bit words); continues correctly from any payload offset.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace wsp::ws {

// The 4-byte masking key as it appears on the wire.
using mask_key = std::array<std::uint8_t, 4>;

// XORs `data` in place with `key`, where data[0] is byte number `offset` of the frame payload, so a
// payload may be masked chunk by chunk. Applying it twice restores the input. No allocation, any
// alignment, thread-safe (touches only `data`).
void apply_mask(std::span<std::uint8_t> data, mask_key key, std::uint64_t offset = 0) noexcept;

// Writes src XOR key into dst (dst may equal src.data(); otherwise the ranges must not overlap),
// with the same offset rule as apply_mask. dst must hold src.size() bytes.
void copy_masked(std::uint8_t* dst, std::span<const std::uint8_t> src, mask_key key,
                 std::uint64_t offset = 0) noexcept;

// The key as it applies from payload byte `offset` on: rotate_key(k, 1) = {k1, k2, k3, k0}.
[[nodiscard]] constexpr mask_key rotate_key(mask_key key, std::uint64_t offset) noexcept
{
    const auto r = static_cast<std::size_t>(offset & 3U);
    return {key[r], key[(r + 1) & 3U], key[(r + 2) & 3U], key[(r + 3) & 3U]};
}

namespace detail {
// The portable 64-bit-word path, exposed so tests and benchmarks can compare it with the byte
// reference and with the SIMD path that apply_mask uses where available.
void copy_masked_words(std::uint8_t* dst, const std::uint8_t* src, std::size_t n, mask_key key) noexcept;
} // namespace detail

} // namespace wsp::ws
