#include "engine/fleet/shard.h"

#include <charconv>

#include "engine/fleet/hash.h"

namespace wsp::fleet {
namespace {

bool parse_u32(std::string_view s, std::uint32_t& out) noexcept
{
    if (s.empty() || (s.size() > 1 && s[0] == '0')) {
        return false;
    }
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size();
}

} // namespace

wsp::expected<shard_spec> parse_shard(std::string_view text)
{
    const auto slash = text.find('/');
    shard_spec s;
    if (slash == std::string_view::npos || !parse_u32(text.substr(0, slash), s.index) ||
        !parse_u32(text.substr(slash + 1), s.count) || s.count == 0 || s.count > max_shards ||
        s.index >= s.count) {
        return fail(errc::bad_shard);
    }
    return s;
}

std::uint64_t shard_weight(std::uint64_t id_hash, std::uint32_t shard) noexcept
{
    return mix64(id_hash ^ mix64(0x9e3779b97f4a7c15ULL * (static_cast<std::uint64_t>(shard) + 1)));
}

std::uint32_t owner_shard(std::string_view id, std::uint32_t count) noexcept
{
    const std::uint64_t h = stable_hash(id);
    std::uint32_t best = 0;
    std::uint64_t best_weight = shard_weight(h, 0);
    for (std::uint32_t k = 1; k < count; ++k) {
        const std::uint64_t w = shard_weight(h, k);
        if (w > best_weight) {
            best = k;
            best_weight = w;
        }
    }
    return best;
}

bool owns(const shard_spec& shard, std::string_view id) noexcept
{
    return owner_shard(id, shard.count) == shard.index;
}

} // namespace wsp::fleet
