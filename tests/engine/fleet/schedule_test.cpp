#include "engine/fleet/schedule.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>

using namespace wsp::fleet;

namespace {
constexpr std::int64_t s = 1'000'000'000;
}

TEST(schedule, offsets_are_stable_and_inside_the_interval)
{
    const slot_grid a = grid_for("chat-eu", millis(30'000));
    const slot_grid b = grid_for("chat-eu", millis(30'000));
    EXPECT_EQ(a.offset_ns, b.offset_ns);
    EXPECT_EQ(a.offset_ns, 11'347'250'915); // pinned: phases survive restarts and upgrades
    EXPECT_EQ(a.interval_ns, 30 * s);
    EXPECT_GE(a.offset_ns, 0);
    EXPECT_LT(a.offset_ns, 30 * s);
    EXPECT_NE(grid_for("chat-us", millis(30'000)).offset_ns, a.offset_ns);
}

TEST(schedule, ten_thousand_checks_spread_over_the_interval)
{
    // No thundering herd: each tenth of the interval gets about a tenth of the checks.
    std::array<int, 10> bins{};
    for (int i = 0; i < 10'000; ++i) {
        const slot_grid g = grid_for("check-" + std::to_string(i), millis(60'000));
        ++bins[static_cast<std::size_t>(g.offset_ns * 10 / g.interval_ns)];
    }
    for (int b : bins) {
        EXPECT_NEAR(b, 1000, 150);
    }
}

TEST(schedule, first_due_is_the_next_grid_point)
{
    const slot_grid g{10 * s, 3 * s};
    EXPECT_EQ(first_due(g, 0), 3 * s);
    EXPECT_EQ(first_due(g, 3 * s), 3 * s);
    EXPECT_EQ(first_due(g, 3 * s + 1), 13 * s);
    EXPECT_EQ(first_due(g, 100 * s), 103 * s);
    EXPECT_EQ(first_due(g, -8 * s), -7 * s);
    EXPECT_EQ(first_due(g, -7 * s - 1), -7 * s);
}

TEST(schedule, next_due_follows_the_grid_despite_lateness)
{
    const slot_grid g{10 * s, 3 * s};
    // Started 2 s late at 15 s for the 13 s slot, finished at 16 s: next slot is 23 s.
    auto n = next_due(g, 15 * s, 16 * s);
    EXPECT_EQ(n.due_ns, 23 * s);
    EXPECT_EQ(n.skipped, 0u);
    // Started exactly on 13 s.
    EXPECT_EQ(next_due(g, 13 * s, 13 * s + 1).due_ns, 23 * s);
    // Finished exactly on the next slot: it is still due.
    n = next_due(g, 13 * s, 23 * s);
    EXPECT_EQ(n.due_ns, 23 * s);
    EXPECT_EQ(n.skipped, 0u);
}

TEST(schedule, overlapping_runs_skip_slots_instead_of_bursting)
{
    const slot_grid g{10 * s, 3 * s};
    // Started at 13 s, ran until 45 s: slots 23 and 33 passed; 43 too. Next is 53, three skipped.
    const auto n = next_due(g, 13 * s, 45 * s);
    EXPECT_EQ(n.due_ns, 53 * s);
    EXPECT_EQ(n.skipped, 3u);
}

TEST(schedule, lateness)
{
    EXPECT_EQ(lateness_ns(15 * s, 13 * s), 2 * s);
    EXPECT_EQ(lateness_ns(13 * s, 13 * s), 0);
    EXPECT_EQ(lateness_ns(12 * s, 13 * s), -s);
}

TEST(due_queue, pops_in_time_order_with_ties_by_slot)
{
    due_queue q(8);
    q.schedule(3, 30);
    q.schedule(1, 10);
    q.schedule(2, 10);
    q.schedule(0, 50);
    EXPECT_EQ(q.size(), 4u);
    EXPECT_EQ(q.top()->id, 1u);
    EXPECT_FALSE(q.pop_due(9));
    auto a = q.pop_due(10);
    auto b = q.pop_due(10);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->id, 1u);
    EXPECT_EQ(b->id, 2u);
    EXPECT_FALSE(q.pop_due(29));
    EXPECT_EQ(q.pop_due(100)->id, 3u);
    EXPECT_EQ(q.pop()->id, 0u);
    EXPECT_TRUE(q.empty());
    EXPECT_FALSE(q.pop());
    EXPECT_FALSE(q.top());
}

TEST(due_queue, reschedule_and_cancel)
{
    due_queue q(4);
    q.schedule(0, 100);
    q.schedule(1, 200);
    q.schedule(2, 300);
    q.schedule(2, 50); // earlier
    EXPECT_EQ(q.top()->id, 2u);
    q.schedule(2, 400); // later
    EXPECT_EQ(q.top()->id, 0u);
    EXPECT_EQ(q.size(), 3u);
    EXPECT_TRUE(q.cancel(0));
    EXPECT_FALSE(q.cancel(0));
    EXPECT_FALSE(q.contains(0));
    EXPECT_FALSE(q.cancel(99));
    EXPECT_EQ(q.pop()->id, 1u);
    EXPECT_EQ(q.pop()->id, 2u);
    q.schedule(10, 5); // beyond the reserve: grows
    EXPECT_EQ(q.pop()->id, 10u);
}

TEST(due_queue, matches_a_sorted_model_over_50000_slots)
{
    constexpr std::uint32_t n = 50'000;
    due_queue q(n);
    std::mt19937_64 rng(42);
    std::vector<std::int64_t> due(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        due[i] = static_cast<std::int64_t>(rng() % 1'000'000);
        q.schedule(i, due[i]);
    }
    // Move a third, cancel a tenth.
    std::set<std::pair<std::int64_t, std::uint32_t>> model;
    for (std::uint32_t i = 0; i < n; ++i) {
        if (i % 3 == 0) {
            due[i] = static_cast<std::int64_t>(rng() % 1'000'000);
            q.schedule(i, due[i]);
        }
        if (i % 10 == 7) {
            EXPECT_TRUE(q.cancel(i));
        } else {
            model.emplace(due[i], i);
        }
    }
    ASSERT_EQ(q.size(), model.size());
    for (const auto& [t, id] : model) {
        const auto e = q.pop();
        ASSERT_TRUE(e);
        ASSERT_EQ(e->due_ns, t);
        ASSERT_EQ(e->id, id);
    }
    EXPECT_TRUE(q.empty());
}
