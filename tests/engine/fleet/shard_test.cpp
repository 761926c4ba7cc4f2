#include "engine/fleet/shard.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/fleet/hash.h"

using namespace wsp::fleet;

namespace {

std::vector<std::string> ids(int n)
{
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) {
        out.push_back("check-" + std::to_string(i));
    }
    return out;
}

} // namespace

// The reference vector of the SipHash paper (Appendix A): key 00..0f, message 00..0e.
TEST(hash, siphash24_reference_vector)
{
    std::string msg;
    for (int i = 0; i < 15; ++i) {
        msg += static_cast<char>(i);
    }
    EXPECT_EQ(siphash24(0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL, msg), 0xa129ca6149be45e5ULL);
}

TEST(hash, stable_values_are_pinned)
{
    // Changing these moves every check to another shard and phase: pin them.
    // The expected values come from an independent SipHash-2-4 implementation.
    EXPECT_EQ(stable_hash("chat-eu"), 0x72e39cb68441b10aULL);
    EXPECT_NE(stable_hash("a"), stable_hash("b"));
}

TEST(shard, parses_k_of_n)
{
    EXPECT_EQ(parse_shard("0/1")->count, 1u);
    auto s = parse_shard("2/3");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->index, 2u);
    EXPECT_EQ(s->count, 3u);
    EXPECT_TRUE(parse_shard("65535/65536"));
    for (const char* bad : {"", "1", "3/3", "0/0", "-1/3", "1/ 3", " 1/3", "1/3/4", "a/3", "01/3", "0/65537",
                            "1/", "/3", "+1/3"}) {
        auto r = parse_shard(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error(), errc::bad_shard);
    }
}

TEST(shard, instances_cover_every_id_exactly_once)
{
    const auto all = ids(10'000);
    for (std::uint32_t n : {1u, 2u, 3u, 7u, 16u}) {
        std::vector<int> owners(all.size(), 0);
        std::vector<int> per_shard(n, 0);
        for (std::uint32_t k = 0; k < n; ++k) {
            const shard_spec me{k, n};
            for (std::size_t i = 0; i < all.size(); ++i) {
                if (owns(me, all[i])) {
                    ++owners[i];
                    ++per_shard[k];
                }
            }
        }
        for (std::size_t i = 0; i < all.size(); ++i) {
            ASSERT_EQ(owners[i], 1) << all[i] << " with " << n << " shards";
        }
        // Balanced within 15% of the even share.
        for (std::uint32_t k = 0; k < n; ++k) {
            EXPECT_NEAR(per_shard[k], 10'000.0 / n, 10'000.0 / n * 0.15) << k << "/" << n;
        }
    }
}

TEST(shard, growing_by_one_moves_about_one_in_n_plus_one_all_to_the_new_shard)
{
    const auto all = ids(10'000);
    for (std::uint32_t n : {1u, 2u, 4u, 9u}) {
        int moved = 0;
        for (const auto& id : all) {
            const auto before = owner_shard(id, n);
            const auto after = owner_shard(id, n + 1);
            if (before != after) {
                ++moved;
                EXPECT_EQ(after, n) << id; // only ever to the new shard
            }
        }
        const double expected = 10'000.0 / (n + 1);
        EXPECT_NEAR(moved, expected, expected * 0.1) << n;
    }
}

TEST(shard, placement_is_deterministic)
{
    // Pinned: a change here reshuffles every deployed fleet.
    EXPECT_EQ(owner_shard("chat-eu", 7), 5u);
    EXPECT_EQ(owner_shard("chat-us", 7), 6u);
    EXPECT_EQ(owner_shard("check-0", 7), 2u);
    EXPECT_EQ(owner_shard("check-1", 7), 5u);
    EXPECT_EQ(owner_shard("a", 7), 1u);
    EXPECT_EQ(owner_shard("chat-eu", 5), owner_shard("chat-eu", 5));
    EXPECT_EQ(owner_shard("anything", 1), 0u);
    EXPECT_EQ(owner_shard("anything", 0), 0u);
}
