// Reactor and operation tests on a real ring (engine/runtime/reactor.cpp, ops.cpp, timer.cpp).
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <set>
#include <vector>

#include "engine/runtime/detail/timer_heap.h"
#include "rt_test_support.h"

namespace wsp::rt {
namespace {

using namespace std::chrono_literals;

TEST(errc, names_are_unique_and_classes_match)
{
    std::set<std::string_view> names;
    for (std::uint16_t c = 0; c <= static_cast<std::uint16_t>(errc::bad_address); ++c) {
        names.insert(wsp::error(domain_of(errc::ok), c).name());
    }
    EXPECT_EQ(names.size(), static_cast<std::size_t>(errc::bad_address) + 1);
    EXPECT_EQ(wsp::error(errc::fd_table_full).cls(), failure_class::limit);
    EXPECT_EQ(wsp::error(errc::timeout).cls(), failure_class::timeout);
    EXPECT_EQ(wsp::error(errc::cancelled).cls(), failure_class::cancelled);
    EXPECT_EQ(error_from_result(-ECONNREFUSED), errc::connection_refused);
    EXPECT_EQ(error_from_result(-ECONNREFUSED).cls(), failure_class::refused);
    EXPECT_EQ(error_from_result(-ECONNRESET).cls(), failure_class::peer_closed);
    EXPECT_EQ(error_from_result(-ETIME), errc::timeout);
    EXPECT_EQ(error_from_result(-ETIMEDOUT), errc::connection_timed_out);
    EXPECT_EQ(direct_alloc_error(-ENFILE), errc::fd_table_full);
    EXPECT_FALSE(error_from_result(5));
}

TEST(timer_heap, fires_in_deadline_order_and_supports_removal)
{
    detail::timer_heap heap;
    std::vector<detail::timer_node> nodes(200);
    static std::vector<std::int64_t> fired;
    fired.clear();
    std::mt19937 rng(42);
    for (auto& n : nodes) {
        n.when_ns = static_cast<std::int64_t>(rng() % 1000);
        n.fire_ = [](detail::timer_node* t, bool) noexcept { fired.push_back(t->when_ns); };
        heap.insert(n);
    }
    for (std::size_t i = 0; i < nodes.size(); i += 3) {
        heap.remove(nodes[i]);
        EXPECT_FALSE(nodes[i].queued());
    }
    EXPECT_EQ(heap.fire_expired(499) + heap.fire_expired(1000), nodes.size() - (nodes.size() + 2) / 3);
    EXPECT_TRUE(std::is_sorted(fired.begin(), fired.end()));
    EXPECT_EQ(heap.size(), 0U);
}

TEST(reactor, reports_setup_and_registrations)
{
    WSP_RT_REACTOR(r);
    const setup_report& rep = r.report();
    // Either the fast flags were granted as requested, or the report says why not.
    EXPECT_TRUE(rep.obtained_flags == rep.requested_flags || !rep.fallback.empty());
    EXPECT_NE(rep.obtained_flags, 0U);
    EXPECT_GT(rep.fd_table_size, 0U);
    EXPECT_EQ(rep.buffer_count, reactor_config{}.buffer_count);
    EXPECT_EQ(reactor::current(), &r);
    std::string why;
    auto second = reactor::create({}, &why);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error(), errc::setup_failed);
    EXPECT_NE(why.find("already owns"), std::string::npos);
}

task<void> two_nops(reactor& r, io_result* a, io_result* b, std::int64_t* before)
{
    *before = mono_now();
    scope s;
    auto one = [](reactor& rr, io_result* out) -> task<void> { *out = co_await nop_op(rr); };
    s.spawn(one(r, a));
    s.spawn(one(r, b));
    co_await s.join();
}

TEST(reactor, nop_round_trip_carries_one_stamp_per_reap_batch)
{
    WSP_RT_REACTOR(r);
    io_result a{-1, 0, 0};
    io_result b{-1, 0, 0};
    std::int64_t before = 0;
    sync_wait(r, two_nops(r, &a, &b, &before));
    const std::int64_t after = mono_now();
    EXPECT_EQ(a.res, 0);
    EXPECT_EQ(b.res, 0);
    EXPECT_GE(a.stamp_ns, before);
    EXPECT_LE(a.stamp_ns, after);
    EXPECT_EQ(a.stamp_ns, b.stamp_ns);
    EXPECT_EQ(r.in_flight(), 0U);
}

task<io_result> kernel_timeout(reactor& r, std::chrono::nanoseconds d) { co_return co_await timeout_op(r, d); }

TEST(reactor, kernel_timeout_round_trip)
{
    WSP_RT_REACTOR(r);
    const std::int64_t start = mono_now();
    const io_result res = sync_wait(r, kernel_timeout(r, 5ms));
    EXPECT_EQ(res.res, -ETIME);
    EXPECT_EQ(res.error(), errc::timeout);
    EXPECT_GE(res.stamp_ns - start, 5'000'000);
}

struct cancel_target {
    const void* op = nullptr;
    io_result result{};
};

task<void> long_timeout(reactor& r, cancel_target* t)
{
    timeout_op op(r, 10s);
    t->op = &op;
    t->result = co_await op;
}

task<void> cancel_long_timeout(reactor& r, io_result* cancel_res, cancel_target* t)
{
    scope s;
    s.spawn(long_timeout(r, t));
    *cancel_res = co_await cancel_op(r, t->op);
    co_await s.join();
}

TEST(reactor, cancel_completes_only_with_the_final_cqe)
{
    WSP_RT_REACTOR(r);
    io_result cancel_res{};
    cancel_target t;
    const std::int64_t start = mono_now();
    sync_wait(r, cancel_long_timeout(r, &cancel_res, &t));
    EXPECT_EQ(cancel_res.res, 0);
    EXPECT_EQ(t.result.res, -ECANCELED);
    EXPECT_EQ(t.result.error(), errc::cancelled);
    EXPECT_LT(mono_now() - start, 5'000'000'000);
    EXPECT_EQ(r.in_flight(), 0U);
}

TEST(reactor, destruction_cancels_in_flight_operations_and_waits_for_them)
{
    auto owner = test::make_reactor();
    if (!owner) {
        GTEST_SKIP() << "io_uring unavailable";
    }
    io_result out{};
    auto body = [](reactor& rr, io_result* o) -> task<void> { *o = co_await timeout_op(rr, 30s); };
    owner->root_scope().spawn(body(*owner, &out));
    EXPECT_EQ(owner->in_flight(), 1U);
    owner.reset();
    EXPECT_EQ(out.res, -ECANCELED);
}

task<void> poll_pipe(reactor& r, int rfd, int wfd, io_result* out)
{
    scope s;
    auto writer = [](reactor& rr, int fd) -> task<void> {
        (void)co_await sleep_op(rr, 5ms);
        const char byte = 'x';
        (void)::write(fd, &byte, 1);
    };
    s.spawn(writer(r, wfd));
    *out = co_await poll_op(r, rfd, POLLIN);
    co_await s.join();
}

TEST(reactor, one_shot_poll_on_a_plain_fd)
{
    WSP_RT_REACTOR(r);
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    io_result out{};
    sync_wait(r, poll_pipe(r, fds[0], fds[1], &out));
    EXPECT_GT(out.res, 0);
    EXPECT_NE(out.res & POLLIN, 0);
    ::close(fds[0]);
    ::close(fds[1]);
}

task<void> open_until_full(reactor& r, std::vector<socket>* opened, io_result* last,
                           wsp::expected<connected>* via_connect)
{
    for (;;) {
        const io_result res = co_await socket_op(r, AF_INET);
        if (!res.ok()) {
            *last = res;
            break;
        }
        opened->push_back(socket{res.res});
    }
    *via_connect = co_await connect_tcp(r, address::loopback_v4(9), connect_options{});
    for (socket s : *opened) {
        (void)co_await close_op(r, s);
    }
}

TEST(reactor, full_descriptor_table_is_reported_as_fd_table_full)
{
    reactor_config cfg;
    cfg.fd_table_size = 4;
    WSP_RT_REACTOR(r, cfg);
    std::vector<socket> opened;
    io_result last{};
    wsp::expected<connected> via_connect = wsp::fail(errc::ok);
    sync_wait(r, open_until_full(r, &opened, &last, &via_connect));
    EXPECT_EQ(opened.size(), 4U);
    EXPECT_EQ(direct_alloc_error(last.res), errc::fd_table_full);
    ASSERT_FALSE(via_connect);
    EXPECT_EQ(via_connect.error(), errc::fd_table_full);
    EXPECT_EQ(via_connect.error().cls(), failure_class::limit);
}

} // namespace
} // namespace wsp::rt
