// task<T>, scope and sync_wait semantics (engine/runtime/task.h, reactor.h).
#include <gtest/gtest.h>

#include <stdexcept>
#include <type_traits>
#include <vector>

#include "engine/runtime/ops.h"
#include "rt_test_support.h"

namespace wsp::rt {
namespace {

static_assert(!std::is_copy_constructible_v<task<int>>);
static_assert(std::is_nothrow_move_constructible_v<task<int>>);

task<int> value_of(int v) { co_return v; }

task<int> sum_chain(int depth)
{
    int total = 0;
    for (int i = 0; i < depth; ++i) {
        total += co_await value_of(1);
    }
    co_return total;
}

task<int> thrower()
{
    throw std::runtime_error("boom");
    co_return 0;
}

task<int> catches()
{
    try {
        co_return co_await thrower();
    } catch (const std::runtime_error&) {
        co_return -1;
    }
}

task<void> set_flag(bool* flag)
{
    *flag = true;
    co_return;
}

TEST(task, is_lazy_and_runs_under_sync_wait)
{
    WSP_RT_REACTOR(r);
    bool ran = false;
    auto t = set_flag(&ran);
    EXPECT_FALSE(ran);
    sync_wait(r, std::move(t));
    EXPECT_TRUE(ran);
}

TEST(task, destroying_an_unstarted_task_never_runs_it)
{
    bool ran = false;
    {
        auto t = set_flag(&ran);
        EXPECT_TRUE(t.valid());
    }
    EXPECT_FALSE(ran);
}

TEST(task, values_propagate_through_long_chains)
{
    WSP_RT_REACTOR(r);
#if defined(__OPTIMIZE__)
    // Symmetric transfer compiles to a tail call when optimizing: 1M synchronous completions in
    // a loop do not nest stack frames. (-O0 builds do not emit the tail call.)
    constexpr int depth = 1'000'000;
#else
    constexpr int depth = 1000;
#endif
    EXPECT_EQ(sync_wait(r, sum_chain(depth)), depth);
}

TEST(task, exceptions_propagate_to_the_awaiter_and_out_of_sync_wait)
{
    WSP_RT_REACTOR(r);
    EXPECT_EQ(sync_wait(r, catches()), -1);
    EXPECT_THROW((void)sync_wait(r, thrower()), std::runtime_error);
}

task<void> sleeper(reactor& r, int ms, std::vector<int>* order)
{
    (void)co_await sleep_op(r, std::chrono::milliseconds(ms));
    order->push_back(ms);
}

task<void> spawn_and_join(reactor& r, std::vector<int>* order, std::size_t* live_after_spawn)
{
    scope s;
    s.spawn(sleeper(r, 30, order));
    s.spawn(sleeper(r, 10, order));
    s.spawn(sleeper(r, 20, order));
    *live_after_spawn = s.live();
    co_await s.join();
    order->push_back(0);
}

TEST(scope, join_waits_for_every_spawned_task)
{
    WSP_RT_REACTOR(r);
    std::vector<int> order;
    std::size_t live = 0;
    sync_wait(r, spawn_and_join(r, &order, &live));
    EXPECT_EQ(live, 3U);
    EXPECT_EQ(order, (std::vector<int>{10, 20, 30, 0}));
}

task<void> spawn_sync(bool* a, bool* b, std::size_t* live)
{
    scope s;
    s.spawn(set_flag(a));
    s.spawn(set_flag(b));
    *live = s.live();
    co_await s.join();
}

TEST(scope, spawn_starts_eagerly_and_frees_finished_tasks)
{
    WSP_RT_REACTOR(r);
    bool a = false;
    bool b = false;
    std::size_t live = 99;
    sync_wait(r, spawn_sync(&a, &b, &live));
    EXPECT_TRUE(a);
    EXPECT_TRUE(b);
    EXPECT_EQ(live, 0U);
}

TEST(frame_pool, reuses_frames_after_warm_up)
{
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "the frame pool is bypassed under AddressSanitizer";
#else
    WSP_RT_REACTOR(r);
    (void)sync_wait(r, sum_chain(10));
    const std::size_t before = detail::frame_pool_misses();
    EXPECT_EQ(sync_wait(r, sum_chain(1000)), 1000);
    EXPECT_EQ(detail::frame_pool_misses(), before);
#endif
}

} // namespace
} // namespace wsp::rt
