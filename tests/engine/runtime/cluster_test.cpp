// Cluster: placement, MSG_RING messages between reactors, spawn, bounded shutdown and
// SIGTERM handling (engine/runtime/cluster.cpp), plus the self check.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "engine/runtime/cluster.h"
#include "engine/runtime/ops.h"
#include "engine/runtime/self_check.h"
#include "rt_test_support.h"

namespace wsp::rt {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<cluster> start_or_skip(const cluster_config& cfg, bool* skipped)
{
    std::string why;
    auto c = cluster::start(cfg, &why);
    if (!c) {
        *skipped = c.error() == errc::io_uring_unavailable;
        if (!*skipped) {
            ADD_FAILURE() << "cluster::start: " << c.error().name() << ": " << why;
        }
        return nullptr;
    }
    return std::move(*c);
}

// Bounces between reactors 0 and 1 `hops` times, recording which reactor handled each hop.
struct bouncer : message {
    explicit bouncer(cluster* c) : message(&bouncer::on_message), owner(c) {}
    static void on_message(message& m, reactor& where, std::int32_t status) noexcept
    {
        auto& b = static_cast<bouncer&>(m);
        if (status < 0) {
            b.failed = true;
        }
        b.seen.push_back(&where);
        if (--b.hops > 0) {
            b.next = 1 - b.next;
            if (!b.owner->post(b.next, b)) {
                b.failed = true;
            }
            return;
        }
        std::lock_guard lk(b.mu);
        b.done = true;
        b.cv.notify_all();
    }
    cluster* owner;
    int hops = 100;
    std::size_t next = 0;
    bool failed = false;
    std::vector<reactor*> seen;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
};

TEST(cluster, two_reactors_exchange_messages_and_shut_down_cleanly)
{
    cluster_config cfg;
    cfg.threads = 2;
    cfg.handle_signals = false;
    bool skipped = false;
    auto c = start_or_skip(cfg, &skipped);
    if (skipped) {
        GTEST_SKIP() << "io_uring unavailable";
    }
    ASSERT_TRUE(c);
    EXPECT_EQ(c->size(), 2U);
    bouncer b(c.get());
    ASSERT_TRUE(c->post(0, b));
    {
        std::unique_lock lk(b.mu);
        ASSERT_TRUE(b.cv.wait_for(lk, 10s, [&] { return b.done; }));
    }
    EXPECT_FALSE(b.failed);
    ASSERT_EQ(b.seen.size(), 100U);
    for (std::size_t i = 2; i < b.seen.size(); ++i) {
        EXPECT_EQ(b.seen[i], b.seen[i - 2]);
    }
    EXPECT_NE(b.seen[0], b.seen[1]);
    c->join();
    EXPECT_TRUE(c->stop_requested());
    EXPECT_EQ(c->post(0, b).error(), errc::shutting_down);
}

TEST(cluster, placement_is_stable_and_spread)
{
    cluster_config cfg;
    cfg.threads = 2;
    cfg.handle_signals = false;
    bool skipped = false;
    auto c = start_or_skip(cfg, &skipped);
    if (skipped) {
        GTEST_SKIP() << "io_uring unavailable";
    }
    ASSERT_TRUE(c);
    std::array<int, 2> counts{};
    for (std::uint64_t k = 0; k < 1000; ++k) {
        const std::size_t i = c->place(k);
        ASSERT_LT(i, 2U);
        EXPECT_EQ(c->place(k), i);
        ++counts[i];
    }
    EXPECT_GT(counts[0], 400);
    EXPECT_GT(counts[1], 400);
}

struct shutdown_counts {
    std::atomic<int> finished{0};
    std::atomic<int> cancelled{0};
    std::atomic<int> started{0};
};

task<void> nap(std::chrono::milliseconds d, shutdown_counts* counts)
{
    reactor& r = *reactor::current();
    counts->started.fetch_add(1);
    const io_result res = co_await sleep_op(r, d);
    if (res.error() == errc::cancelled) {
        counts->cancelled.fetch_add(1);
    } else {
        counts->finished.fetch_add(1);
    }
}

task<void> stuck_in_kernel(shutdown_counts* counts)
{
    reactor& r = *reactor::current();
    counts->started.fetch_add(1);
    const io_result res = co_await timeout_op(r, 60s);
    if (res.error() == errc::cancelled) {
        counts->cancelled.fetch_add(1);
    } else {
        counts->finished.fetch_add(1);
    }
}

void wait_started(const shutdown_counts& counts, int n)
{
    const std::int64_t until = mono_now() + 10'000'000'000;
    while (counts.started.load() < n && mono_now() < until) {
        std::this_thread::sleep_for(1ms);
    }
}

TEST(cluster, shutdown_lets_work_finish_within_the_grace_period)
{
    cluster_config cfg;
    cfg.threads = 2;
    cfg.handle_signals = false;
    cfg.shutdown_grace = 10s;
    bool skipped = false;
    auto c = start_or_skip(cfg, &skipped);
    if (skipped) {
        GTEST_SKIP() << "io_uring unavailable";
    }
    ASSERT_TRUE(c);
    shutdown_counts counts;
    ASSERT_TRUE(c->spawn(0, nap(30ms, &counts)));
    ASSERT_TRUE(c->spawn(1, nap(30ms, &counts)));
    wait_started(counts, 2);
    c->join();
    EXPECT_EQ(counts.finished.load(), 2);
    EXPECT_EQ(counts.cancelled.load(), 0);
}

TEST(cluster, shutdown_cancels_what_outlives_the_grace_period)
{
    cluster_config cfg;
    cfg.threads = 2;
    cfg.handle_signals = false;
    cfg.shutdown_grace = 20ms;
    bool skipped = false;
    auto c = start_or_skip(cfg, &skipped);
    if (skipped) {
        GTEST_SKIP() << "io_uring unavailable";
    }
    ASSERT_TRUE(c);
    shutdown_counts counts;
    ASSERT_TRUE(c->spawn(0, stuck_in_kernel(&counts)));
    ASSERT_TRUE(c->spawn(1, nap(60s, &counts)));
    wait_started(counts, 2);
    c->join();
    EXPECT_EQ(counts.cancelled.load(), 2);
    EXPECT_EQ(counts.finished.load(), 0);
}

TEST(cluster, sigterm_requests_a_clean_stop)
{
    cluster_config cfg;
    cfg.threads = 2;
    cfg.handle_signals = true;
    bool skipped = false;
    auto c = start_or_skip(cfg, &skipped);
    if (skipped) {
        GTEST_SKIP() << "io_uring unavailable";
    }
    ASSERT_TRUE(c);
    shutdown_counts counts;
    ASSERT_TRUE(c->spawn(1, nap(10ms, &counts)));
    wait_started(counts, 1);
    ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
    c->wait_for_stop();
    EXPECT_TRUE(c->stop_requested());
    c->join();
    EXPECT_EQ(counts.finished.load() + counts.cancelled.load(), 1);
    sigset_t now;
    ::pthread_sigmask(SIG_SETMASK, nullptr, &now);
    EXPECT_EQ(sigismember(&now, SIGTERM), 0);
}

TEST(self_check, passes_on_this_kernel_and_names_what_it_checked)
{
    if (!test::make_reactor()) {
        GTEST_SKIP() << "io_uring unavailable";
    }
    const self_check_result res = self_check();
    EXPECT_TRUE(res.ok) << res.report;
    EXPECT_NE(res.report.find("ring flags obtained"), std::string::npos);
    EXPECT_NE(res.report.find("provided buffer ring registered"), std::string::npos);
    EXPECT_NE(res.report.find("nop round trip"), std::string::npos);
    EXPECT_NE(res.report.find("TCP_NODELAY"), std::string::npos);
}

} // namespace
} // namespace wsp::rt
