// Runtime micro benchmarks: nop round trip, task create/resume, timer heap insert/expire,
// loopback send/recv over the buffer ring, connect/accept/close, and the cost of cancelling many
// armed multishot receives (reactor::cancel_all against one IORING_ASYNC_CANCEL_ANY request). A
// counting global operator new reports allocs_per_op measured after warm-up (expected: 0).
#include <benchmark/benchmark.h>

#include <liburing.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <random>
#include <vector>

#include "engine/runtime/acceptor.h"
#include "engine/runtime/detail/timer_heap.h"
#include "engine/runtime/ops.h"
#include "engine/runtime/reactor.h"
#include "engine/runtime/recv_stream.h"
#include "engine/runtime/socket.h"

namespace {
std::atomic<std::uint64_t> g_allocs{0};
} // namespace

// noinline: g++ 12 otherwise inlines the pair and warns about a malloc/free mismatch.
[[gnu::noinline]] void* operator new(std::size_t n)
{
    g_allocs.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n == 0 ? 1 : n)) {
        return p;
    }
    throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace wsp::rt {
namespace {

reactor& bench_reactor()
{
    static auto r = [] {
        auto made = reactor::create();
        if (!made) {
            std::abort();
        }
        return std::move(*made);
    }();
    return *r;
}

// Measures allocations between the first and last iteration of `state`'s loop.
struct alloc_meter {
    std::uint64_t start = 0;
    void begin() { start = g_allocs.load(std::memory_order_relaxed); }
    void end(benchmark::State& state) const
    {
        const auto n = static_cast<double>(g_allocs.load(std::memory_order_relaxed) - start);
        state.counters["allocs_per_op"] = n / static_cast<double>(state.iterations());
    }
};

task<void> nop_loop(reactor& r, benchmark::State* state)
{
    for (int i = 0; i < 1000; ++i) {
        (void)co_await nop_op(r);
    }
    alloc_meter m;
    m.begin();
    for (auto _ : *state) {
        const io_result res = co_await nop_op(r);
        benchmark::DoNotOptimize(res);
    }
    m.end(*state);
}

void BM_nop_round_trip(benchmark::State& state)
{
    reactor& r = bench_reactor();
    sync_wait(r, nop_loop(r, &state));
}
BENCHMARK(BM_nop_round_trip);

task<int> leaf(int v) { co_return v + 1; }

task<void> task_loop(benchmark::State* state)
{
    int acc = 0;
    for (int i = 0; i < 1000; ++i) {
        acc += co_await leaf(i);
    }
    alloc_meter m;
    m.begin();
    for (auto _ : *state) {
        acc += co_await leaf(acc);
        benchmark::DoNotOptimize(acc);
    }
    m.end(*state);
}

void BM_task_create_resume(benchmark::State& state)
{
    reactor& r = bench_reactor();
    sync_wait(r, task_loop(&state));
}
BENCHMARK(BM_task_create_resume);

void BM_timer_insert_expire(benchmark::State& state)
{
    // About `live` timers stay queued: each iteration cancels the slot's old timer if it is still
    // queued, inserts a new one at a random deadline and expires whatever is due.
    const auto live = static_cast<std::size_t>(state.range(0));
    detail::timer_heap heap;
    heap.reserve(live);
    std::vector<detail::timer_node> nodes(live);
    std::mt19937_64 rng(7);
    std::int64_t now = 0;
    std::size_t next = 0;
    std::size_t expired = 0;
    for (auto& n : nodes) {
        n.fire_ = [](detail::timer_node*, bool) noexcept {};
    }
    auto insert_one = [&] {
        detail::timer_node& n = nodes[next];
        next = (next + 1) % nodes.size();
        heap.remove(n);
        n.when_ns = now + static_cast<std::int64_t>(rng() % (2 * live));
        heap.insert(n);
    };
    for (std::size_t i = 0; i < live; ++i) {
        insert_one();
    }
    alloc_meter m;
    m.begin();
    for (auto _ : state) {
        ++now;
        insert_one();
        expired += heap.fire_expired(now);
    }
    m.end(state);
    state.counters["expired_per_op"] = static_cast<double>(expired) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_timer_insert_expire)->Arg(1024)->Arg(65536);

task<void> ping_pong_loop(reactor& r, benchmark::State* state)
{
    auto l = listener::open(address::loopback_v4(0));
    if (!l) {
        state->SkipWithError("listener");
        co_return;
    }
    acceptor acc(r, *l);
    auto c = co_await connect_tcp(r, l->local(), connect_options{});
    const io_result a = co_await acc.next();
    co_await acc.stop();
    if (!c || !a.ok()) {
        state->SkipWithError("connect");
        co_return;
    }
    const socket server{a.res};
    recv_stream rs(r, server);
    static constexpr char msg[64] = {};
    const auto payload = std::as_bytes(std::span(msg));
    for (int i = 0; i < 100; ++i) {
        (void)co_await send_op(r, c->sock, payload);
        recv_chunk chunk = co_await rs.next();
    }
    alloc_meter m;
    m.begin();
    for (auto _ : *state) {
        (void)co_await send_op(r, c->sock, payload);
        std::size_t got = 0;
        while (got < payload.size()) {
            recv_chunk chunk = co_await rs.next();
            if (!chunk.is_data()) {
                break;
            }
            got += chunk.bytes().size();
        }
    }
    m.end(*state);
    co_await rs.stop();
    (void)co_await close_socket(r, c->sock, close_mode::abort);
    (void)co_await close_op(r, server);
}

void BM_loopback_send_recv_64B(benchmark::State& state)
{
    reactor& r = bench_reactor();
    sync_wait(r, ping_pong_loop(r, &state));
}
BENCHMARK(BM_loopback_send_recv_64B);

task<void> connect_accept_close_loop(reactor& r, benchmark::State* state)
{
    auto l = listener::open(address::loopback_v4(0), 4096);
    if (!l) {
        state->SkipWithError("listener");
        co_return;
    }
    acceptor acc(r, *l);
    alloc_meter m;
    std::int64_t i = 0;
    for (auto _ : *state) {
        if (i++ == 200) {
            m.begin(); // warm-up done (frame pool, acceptor queue)
        }
        auto c = co_await connect_tcp(r, l->local(), connect_options{});
        const io_result a = co_await acc.next();
        if (!c || !a.ok()) {
            state->SkipWithError("connect");
            break;
        }
        (void)co_await close_op(r, socket{a.res});
        (void)co_await close_socket(r, c->sock, close_mode::abort);
    }
    if (i > 200) {
        const auto n = static_cast<double>(g_allocs.load(std::memory_order_relaxed) - m.start);
        state->counters["allocs_per_op"] = n / static_cast<double>(i - 200);
    }
    co_await acc.stop();
}

void BM_connect_accept_close(benchmark::State& state)
{
    reactor& r = bench_reactor();
    sync_wait(r, connect_accept_close_loop(r, &state));
}
BENCHMARK(BM_connect_accept_close)->Iterations(20000);

// Idle loopback connections kept open across the cancellation benchmarks: both ends of each pair
// get an armed receive, so n armed receives need n / 2 pairs and n direct descriptors.
struct idle_sockets {
    std::unique_ptr<listener> l;
    std::vector<socket> socks;
};

idle_sockets& idle_pool() // NOLINT: one pool for the process, like bench_reactor()
{
    static idle_sockets p;
    return p;
}

task<void> grow_idle(reactor& r, idle_sockets* p, std::size_t n)
{
    if (!p->l) {
        auto l = listener::open(address::loopback_v4(0), 4096);
        if (!l) {
            co_return;
        }
        p->l = std::make_unique<listener>(std::move(*l));
    }
    acceptor acc(r, *p->l);
    while (p->socks.size() + 1 < n) {
        auto c = co_await connect_tcp(r, p->l->local(), connect_options{});
        const io_result a = co_await acc.next();
        if (!c || !a.ok()) {
            break;
        }
        p->socks.push_back(c->sock);
        p->socks.push_back(socket{a.res});
    }
    co_await acc.stop();
}

task<void> hold_until_ended(recv_stream* s)
{
    recv_chunk c = co_await s->next();
    co_await s->stop();
}

// Arms one multishot receive per socket, then times cancellation until every final CQE arrived.
task<void> cancel_round(reactor& r, std::size_t n, bool one_any_request, std::int64_t* elapsed_ns)
{
    std::vector<std::unique_ptr<recv_stream>> streams;
    streams.reserve(n);
    scope holders;
    for (std::size_t i = 0; i < n; ++i) {
        streams.push_back(std::make_unique<recv_stream>(r, idle_pool().socks[i]));
        holders.spawn(hold_until_ended(streams.back().get()));
    }
    (void)co_await nop_op(r); // every receive is armed in the kernel
    const std::int64_t start = mono_now();
    if (one_any_request) {
        // What cancel_all used to do: one IORING_ASYNC_CANCEL_ANY request for everything.
        io_uring_sqe* sqe = r.acquire_sqe();
        io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
        io_uring_sqe_set_data64(sqe, 0);
    } else {
        r.cancel_all();
    }
    co_await holders.join();
    *elapsed_ns = mono_now() - start;
    while (r.in_flight() != 0) {
        (void)co_await nop_op(r);
    }
}

void run_cancel_bench(benchmark::State& state, bool one_any_request)
{
    reactor& r = bench_reactor();
    const auto n = static_cast<std::size_t>(state.range(0));
    sync_wait(r, grow_idle(r, &idle_pool(), n));
    if (idle_pool().socks.size() < n) {
        state.SkipWithError("not enough loopback connections (descriptor table or RLIMIT_NOFILE)");
        return;
    }
    std::int64_t total_ns = 0;
    for (auto _ : state) {
        std::int64_t ns = 0;
        sync_wait(r, cancel_round(r, n, one_any_request, &ns));
        total_ns += ns;
        state.SetIterationTime(static_cast<double>(ns) / 1e9);
    }
    state.counters["armed_recvs"] = static_cast<double>(n);
    state.counters["ns_per_recv"] =
        static_cast<double>(total_ns) / static_cast<double>(state.iterations()) / static_cast<double>(n);
}

// reactor::cancel_all: one cancel by user_data per armed receive, then a sweep; linear in n.
void BM_cancel_all_armed_recvs(benchmark::State& state) { run_cancel_bench(state, false); }
BENCHMARK(BM_cancel_all_armed_recvs)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(20000)
    ->UseManualTime()
    ->Iterations(5)
    ->Unit(benchmark::kMillisecond);

// The old way, for comparison: one IORING_ASYNC_CANCEL_ANY request walks the armed requests
// again for every match (quadratic in n).
void BM_cancel_any_one_request(benchmark::State& state) { run_cancel_bench(state, true); }
BENCHMARK(BM_cancel_any_one_request)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(20000)
    ->UseManualTime()
    ->Iterations(2)
    ->Unit(benchmark::kMillisecond);

} // namespace
} // namespace wsp::rt

BENCHMARK_MAIN();
