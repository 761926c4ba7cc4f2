// reactor::cancel_all (engine/runtime/reactor.cpp): every kind of in-flight operation ends with
// errc::cancelled and its final CQE, nothing stays armed or leased, and the cancellation work is
// one request per lasting operation however often cancel_all is called (the linear path).
#include <gtest/gtest.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "engine/runtime/detail/buffer_ring.h"
#include "engine/runtime/recv_stream.h"
#include "rt_test_support.h"

namespace wsp::rt {
namespace {

using namespace std::chrono_literals;

constexpr int pair_count = 600;

struct holder_result {
    int data_chunks = 0;
    wsp::error end{};
    bool ended = false;
};

// Reads until the stream ends, then stops it (a no-op once the final CQE arrived).
task<void> hold(recv_stream* s, deadline d, holder_result* out)
{
    for (;;) {
        recv_chunk c = co_await s->next(d);
        if (!c.is_data()) {
            out->end = c.error();
            break;
        }
        ++out->data_chunks;
    }
    co_await s->stop();
    out->ended = true;
}

task<void> accept_until_cancelled(acceptor* a, io_result* out)
{
    *out = co_await a->next();
    co_await a->stop();
}

template <class Op>
task<void> await_into(Op op, io_result* out)
{
    *out = co_await op;
}

task<void> sleep_into(reactor* r, io_result* out)
{
    *out = co_await sleep_op(*r, 1h);
}

struct scenario_result {
    int connected = 0;
    std::vector<holder_result> holders;
    io_result accept_res{};
    io_result recv_res{};
    io_result kernel_timer_res{};
    io_result sleep_res{};
    std::uint64_t requests_first_call = 0;
    std::uint64_t requests_total = 0;
    std::size_t armed_before = 0;
    std::size_t armed_after_first_call = 0;
};

task<void> scenario(reactor* rp, const listener* l, scenario_result* out)
{
    reactor& r = *rp;
    std::vector<test::socket_pair> pairs;
    {
        acceptor setup(r, *l);
        for (int i = 0; i < pair_count; ++i) {
            auto c = co_await connect_tcp(r, l->local(), connect_options{});
            const io_result a = co_await setup.next();
            if (!c || !a.ok()) {
                break;
            }
            pairs.push_back(test::socket_pair{c->sock, socket{a.res}});
        }
        co_await setup.stop();
    }
    out->connected = static_cast<int>(pairs.size());
    out->holders.resize(pairs.size());
    std::vector<std::unique_ptr<recv_stream>> streams;
    scope work;
    for (std::size_t i = 0; i < pairs.size(); ++i) {
        streams.push_back(std::make_unique<recv_stream>(r, pairs[i].server));
        // Half wait with a far deadline, so the timer heap holds entries too.
        const deadline d = i % 2 == 0 ? deadline::never() : deadline::after(1h);
        work.spawn(hold(streams.back().get(), d, &out->holders[i]));
    }
    acceptor acc(r, *l);
    work.spawn(accept_until_cancelled(&acc, &out->accept_res));
    // Short-lived kinds the final sweep has to find: a single-shot receive and a kernel timer.
    std::byte one[1];
    work.spawn(await_into(recv_op(r, pairs.front().client, std::span(one)), &out->recv_res));
    work.spawn(await_into(timeout_op(r, 1h), &out->kernel_timer_res));
    work.spawn(sleep_into(&r, &out->sleep_res));
    // Every fourth connection has a byte queued when the cancellation comes.
    static constexpr char byte[1] = {'x'};
    int expected_data = 0;
    for (std::size_t i = 0; i < pairs.size(); i += 4) {
        (void)co_await send_op(r, pairs[i].client, std::as_bytes(std::span(byte)));
        ++expected_data;
    }
    for (int spin = 0; spin < 10000; ++spin) {
        int seen = 0;
        for (const holder_result& h : out->holders) {
            seen += h.data_chunks;
        }
        if (seen == expected_data) {
            break;
        }
        (void)co_await nop_op(r);
    }
    out->armed_before = r.lasting_armed();
    const std::uint64_t before = r.cancel_requests();
    r.cancel_all();
    out->requests_first_call = r.cancel_requests() - before;
    out->armed_after_first_call = r.lasting_armed();
    r.cancel_all(); // a second call finds nothing new to cancel by user_data
    co_await work.join();
    out->requests_total = r.cancel_requests() - before;
    for (const test::socket_pair& p : pairs) {
        co_await test::close_pair(r, p);
    }
}

TEST(cancel_all, ends_every_operation_once_with_one_request_per_lasting_operation)
{
    WSP_RT_REACTOR(r);
    auto l = listener::open(address::loopback_v4(0), 1024);
    ASSERT_TRUE(l);
    scenario_result out;
    sync_wait(r, scenario(&r, &*l, &out));
    ASSERT_EQ(out.connected, pair_count);

    int with_data = 0;
    for (const holder_result& h : out.holders) {
        EXPECT_TRUE(h.ended);
        EXPECT_EQ(h.end, errc::cancelled);
        with_data += h.data_chunks;
    }
    EXPECT_EQ(with_data, (pair_count + 3) / 4);
    EXPECT_EQ(out.accept_res.res, -ECANCELED);
    EXPECT_EQ(out.recv_res.error(), errc::cancelled);
    EXPECT_EQ(out.kernel_timer_res.error(), errc::cancelled);
    EXPECT_EQ(out.sleep_res.res, -ECANCELED);

    // Lasting operations: every stream plus the acceptor, each cancelled by its own request.
    EXPECT_EQ(out.armed_before, static_cast<std::size_t>(pair_count) + 1);
    EXPECT_EQ(out.requests_first_call, static_cast<std::uint64_t>(pair_count) + 1);
    EXPECT_EQ(out.armed_after_first_call, 0U);
    // The second call added no per-operation request; one sweep followed for the short-lived ones.
    EXPECT_EQ(out.requests_total, static_cast<std::uint64_t>(pair_count) + 2);

    EXPECT_EQ(r.in_flight(), 0U);
    EXPECT_EQ(r.lasting_armed(), 0U);
    EXPECT_EQ(r.buffers().held(), 0U);
}

task<void> cancel_one_kernel_timer(reactor* r, io_result* out)
{
    scope s;
    s.spawn(await_into(timeout_op(*r, 1h), out));
    r->cancel_all();
    co_await s.join();
}

TEST(cancel_all, without_lasting_operations_only_sweeps_what_is_in_flight)
{
    WSP_RT_REACTOR(r);
    const std::uint64_t before = r.cancel_requests();
    r.cancel_all(); // nothing in flight: no request at all
    EXPECT_EQ(r.cancel_requests(), before);
    io_result res{};
    sync_wait(r, cancel_one_kernel_timer(&r, &res));
    EXPECT_EQ(res.error(), errc::cancelled);
    EXPECT_EQ(r.cancel_requests(), before + 1);
    EXPECT_EQ(r.in_flight(), 0U);
}

} // namespace
} // namespace wsp::rt
