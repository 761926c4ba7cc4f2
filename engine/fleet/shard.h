// Splitting a fleet over N `wsprobe run` instances by rendezvous (highest random weight) hashing
// (Thaler and Ravishankar, 1998): each instance keeps the checks whose id scores highest for it.
// Going from N to N+1 instances moves only about 1/(N+1) of the checks, all to the new one.
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/fleet/errc.h"

namespace wsp::fleet {

// `--shard K/N`: this instance is K of N, counted from 0 (a StatefulSet ordinal).
struct shard_spec {
    std::uint32_t index = 0;
    std::uint32_t count = 1;
};

inline constexpr std::uint32_t max_shards = 65536;

// Parses "K/N" with 0 <= K < N <= 65536, decimal without signs or spaces. Errors: bad_shard.
[[nodiscard]] wsp::expected<shard_spec> parse_shard(std::string_view text);

// The rendezvous weight of `id` on shard `shard`; the same on every platform.
[[nodiscard]] std::uint64_t shard_weight(std::uint64_t id_hash, std::uint32_t shard) noexcept;

// The shard in [0, count) that owns the check id: the highest weight, ties to the lower index.
// O(count); no allocation. `count` 0 is treated as 1.
[[nodiscard]] std::uint32_t owner_shard(std::string_view id, std::uint32_t count) noexcept;

// True when this instance runs the check.
[[nodiscard]] bool owns(const shard_spec& shard, std::string_view id) noexcept;

} // namespace wsp::fleet
