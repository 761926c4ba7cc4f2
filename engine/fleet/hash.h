// A fixed 64-bit hash for placement decisions that must agree across runs, builds and machines:
// SipHash-2-4 (Aumasson and Bernstein, 2012) under a constant key, and a 64-bit finaliser.
#pragma once

#include <cstdint>
#include <string_view>

namespace wsp::fleet {

// SipHash-2-4 of `data` under the key (k0, k1). Byte order is fixed (little-endian reads), so the
// value is the same on every platform. Not a MAC here: the key is public.
[[nodiscard]] std::uint64_t siphash24(std::uint64_t k0, std::uint64_t k1, std::string_view data) noexcept;

// SipHash-2-4 under wsprobe's fixed key. Check ids hash to the same value everywhere, forever.
[[nodiscard]] std::uint64_t stable_hash(std::string_view data) noexcept;

// A bijective 64-bit mixer (the SplitMix64 finaliser): spreads a combination of hashes evenly.
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t x) noexcept
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

} // namespace wsp::fleet
