// Multishot receive over the provided buffer ring: delivery, EOF, deadlines, stop, -ENOBUFS
// flow control and re-arming after F_MORE clears (engine/runtime/recv_stream.cpp).
#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <vector>

#include "engine/runtime/detail/buffer_ring.h"
#include "engine/runtime/recv_stream.h"
#include "rt_test_support.h"

namespace wsp::rt {
namespace {

using namespace std::chrono_literals;

// The load driver holds 200k idle connections: the per-connection receive state must stay small
// (and holds no buffer while idle).
static_assert(sizeof(recv_stream) <= 96, "recv_stream grew; per-connection budget is < 1 KiB in total");

std::vector<std::byte> pattern(std::size_t n, std::size_t seed)
{
    std::vector<std::byte> v(n);
    for (std::size_t i = 0; i < n; ++i) {
        v[i] = static_cast<std::byte>((i * 7 + seed) & 0xFF);
    }
    return v;
}

struct echo_result {
    std::string got;
    bool eof = false;
    wsp::error timeout_err{};
    bool armed_after_timeout = false;
    std::int64_t data_stamp = 0;
};

task<void> hello_then_eof(reactor& r, const listener* l, echo_result* out)
{
    auto pair = co_await test::connect_pair(r, l);
    if (!pair) {
        co_return;
    }
    recv_stream rs(r, pair->client);
    // Nothing sent yet: the deadline expires, the receive stays armed.
    recv_chunk early = co_await rs.next(deadline::after(10ms));
    out->timeout_err = early.error();
    out->armed_after_timeout = rs.armed();
    static constexpr char msg[] = "hello";
    (void)co_await send_all_op(r, pair->server, std::as_bytes(std::span(msg, 5)));
    (void)co_await shutdown_op(r, pair->server, SHUT_WR);
    for (;;) {
        recv_chunk c = co_await rs.next(deadline::after(2s));
        if (!c.is_data()) {
            out->eof = c.is_eof();
            break;
        }
        out->data_stamp = c.stamp_ns();
        out->got.append(reinterpret_cast<const char*>(c.bytes().data()), c.bytes().size());
    }
    co_await rs.stop();
    co_await test::close_pair(r, *pair);
}

TEST(recv_stream, delivers_bytes_then_eof_and_a_deadline_keeps_it_armed)
{
    WSP_RT_REACTOR(r);
    auto l = listener::open(address::loopback_v4(0));
    ASSERT_TRUE(l);
    echo_result out;
    sync_wait(r, hello_then_eof(r, &*l, &out));
    EXPECT_EQ(out.timeout_err, errc::timeout);
    EXPECT_TRUE(out.armed_after_timeout);
    EXPECT_EQ(out.got, "hello");
    EXPECT_TRUE(out.eof);
    EXPECT_GT(out.data_stamp, 0);
    EXPECT_EQ(r.buffers().held(), 0U);
    EXPECT_EQ(r.in_flight(), 0U);
}

struct stop_result {
    wsp::error consumer_err{};
    unsigned held_before_stop = 0;
    unsigned held_after_stop = 0;
};

task<void> blocked_consumer(recv_stream* rs, stop_result* out)
{
    recv_chunk c = co_await rs->next();
    out->consumer_err = c.error();
}

task<void> stop_with_queued_data(reactor& r, const listener* l, stop_result* out)
{
    auto pair = co_await test::connect_pair(r, l);
    if (!pair) {
        co_return;
    }
    {
        recv_stream rs(r, pair->client);
        static constexpr char msg[] = "queued";
        (void)co_await send_all_op(r, pair->server, std::as_bytes(std::span(msg, 6)));
        recv_chunk first = co_await rs.next(deadline::after(2s)); // arms and takes the data
        first.release();
        (void)co_await send_all_op(r, pair->server, std::as_bytes(std::span(msg, 6)));
        (void)co_await sleep_op(r, 5ms); // the second chunk lands in the queue
        out->held_before_stop = r.buffers().held();
        co_await rs.stop();
        out->held_after_stop = r.buffers().held();
    }
    recv_stream rs2(r, pair->client);
    scope s;
    s.spawn(blocked_consumer(&rs2, out));
    co_await rs2.stop();
    co_await s.join();
    co_await test::close_pair(r, *pair);
}

TEST(recv_stream, stop_waits_for_the_final_cqe_and_returns_queued_buffers)
{
    WSP_RT_REACTOR(r);
    auto l = listener::open(address::loopback_v4(0));
    ASSERT_TRUE(l);
    stop_result out;
    sync_wait(r, stop_with_queued_data(r, &*l, &out));
    EXPECT_EQ(out.held_before_stop, 1U);
    EXPECT_EQ(out.held_after_stop, 0U);
    EXPECT_EQ(out.consumer_err, errc::cancelled);
    EXPECT_EQ(r.in_flight(), 0U);
}

struct flood_stats {
    std::size_t received = 0;
    bool in_order = true;
    std::uint32_t max_arms = 0;
};

// Reads everything from `s`, holding up to `hold` buffers and returning them late.
task<void> slow_reader(reactor& r, socket s, std::size_t expect, std::size_t seed, std::size_t hold,
                       flood_stats* stats)
{
    recv_stream rs(r, s);
    const std::vector<std::byte> want = pattern(expect, seed);
    std::vector<recv_chunk> held;
    std::size_t got = 0;
    while (got < expect) {
        recv_chunk c = co_await rs.next(deadline::after(10s));
        if (!c.is_data()) {
            break;
        }
        const auto bytes = c.bytes();
        if (!std::equal(bytes.begin(), bytes.end(), want.begin() + static_cast<std::ptrdiff_t>(got))) {
            stats->in_order = false;
        }
        got += bytes.size();
        held.push_back(std::move(c));
        if (held.size() >= hold) {
            (void)co_await sleep_op(r, 1ms);
            held.clear();
        }
    }
    held.clear();
    stats->received += got;
    stats->max_arms = std::max(stats->max_arms, rs.arms());
    co_await rs.stop();
}

task<void> writer(reactor& r, socket s, std::size_t n, std::size_t seed)
{
    const std::vector<std::byte> data = pattern(n, seed);
    (void)co_await send_all_op(r, s, data, deadline::after(10s));
}

task<void> flood(reactor& r, const listener* l, std::size_t conns, std::size_t bytes, std::size_t hold,
                 flood_stats* stats)
{
    std::vector<test::socket_pair> pairs;
    for (std::size_t i = 0; i < conns; ++i) {
        auto p = co_await test::connect_pair(r, l);
        if (!p) {
            co_return;
        }
        pairs.push_back(*p);
    }
    scope s;
    for (std::size_t i = 0; i < conns; ++i) {
        s.spawn(slow_reader(r, pairs[i].client, bytes, i, hold, stats));
        s.spawn(writer(r, pairs[i].server, bytes, i));
    }
    co_await s.join();
    for (const auto& p : pairs) {
        co_await test::close_pair(r, p);
    }
}

TEST(recv_stream, buffer_ring_exhaustion_is_flow_control_and_every_byte_arrives)
{
    reactor_config cfg;
    cfg.buffer_count = 8;
    cfg.buffer_size = 256;
    WSP_RT_REACTOR(r, cfg);
    auto l = listener::open(address::loopback_v4(0));
    ASSERT_TRUE(l);
    flood_stats stats;
    constexpr std::size_t conns = 16;
    constexpr std::size_t bytes = 64 * 1024;
    sync_wait(r, flood(r, &*l, conns, bytes, 4, &stats));
    EXPECT_EQ(stats.received, conns * bytes);
    EXPECT_TRUE(stats.in_order);
    EXPECT_GT(r.buffers().exhaustions(), 0U);
    EXPECT_GT(stats.max_arms, 1U);
    EXPECT_EQ(r.buffers().held(), 0U);
    EXPECT_EQ(r.in_flight(), 0U);
}

TEST(recv_stream, multishot_is_rearmed_when_f_more_clears_on_a_full_completion_queue)
{
    // A CQ of 8 entries and 16-byte buffers: one 8 KiB burst needs 512 CQEs in one task-work run,
    // so the kernel ends the multishot receive (F_MORE clear, with data) instead of overflowing.
    reactor_config cfg;
    cfg.sq_entries = 4;
    cfg.cq_entries = 8;
    cfg.buffer_count = 1024;
    cfg.buffer_size = 16;
    WSP_RT_REACTOR(r, cfg);
    auto l = listener::open(address::loopback_v4(0));
    ASSERT_TRUE(l);
    flood_stats stats;
    sync_wait(r, flood(r, &*l, 1, 8192, 64, &stats));
    EXPECT_EQ(stats.received, 8192U);
    EXPECT_TRUE(stats.in_order);
    EXPECT_GT(stats.max_arms, 1U);
    EXPECT_EQ(r.buffers().exhaustions(), 0U); // re-armed for F_MORE, not for -ENOBUFS
    EXPECT_EQ(r.in_flight(), 0U);
}

} // namespace
} // namespace wsp::rt
