#include "engine/fleet/hash.h"

namespace wsp::fleet {
namespace {

constexpr std::uint64_t rotl(std::uint64_t x, int b) noexcept
{
    return (x << b) | (x >> (64 - b));
}

struct sip_state {
    std::uint64_t v0, v1, v2, v3;

    void round() noexcept
    {
        v0 += v1;
        v1 = rotl(v1, 13);
        v1 ^= v0;
        v0 = rotl(v0, 32);
        v2 += v3;
        v3 = rotl(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = rotl(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = rotl(v1, 17);
        v1 ^= v2;
        v2 = rotl(v2, 32);
    }
    void absorb(std::uint64_t m) noexcept
    {
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }
};

std::uint64_t load_le(const char* p, std::size_t n) noexcept
{
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        v |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
    }
    return v;
}

// Fixed forever: changing it would move every check to another shard and phase.
constexpr std::uint64_t key0 = 0x7773700066656574ULL; // "wsp\0feet"
constexpr std::uint64_t key1 = 0x0123456789abcdefULL;

} // namespace

std::uint64_t siphash24(std::uint64_t k0, std::uint64_t k1, std::string_view data) noexcept
{
    sip_state s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
                k1 ^ 0x7465646279746573ULL};
    const std::size_t full = data.size() / 8 * 8;
    for (std::size_t i = 0; i < full; i += 8) {
        s.absorb(load_le(data.data() + i, 8));
    }
    const std::uint64_t last = (static_cast<std::uint64_t>(data.size() & 0xff) << 56) |
                               load_le(data.data() + full, data.size() - full);
    s.absorb(last);
    s.v2 ^= 0xff;
    s.round();
    s.round();
    s.round();
    s.round();
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

std::uint64_t stable_hash(std::string_view data) noexcept
{
    return siphash24(key0, key1, data);
}

} // namespace wsp::fleet
