// Benchmarks for engine/load: histogram record (on every connection and round trip), percentile,
// merge (per reactor, per second), the hist1 text form, and rendering the reports of a long run.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "engine/load/histogram.h"
#include "engine/load/report.h"

namespace {

using wsp::load::histogram;

std::vector<std::int64_t> latencies(std::size_t n)
{
    std::mt19937_64 rng(1);
    std::lognormal_distribution<double> d(std::log(2e6), 1.0); // around 2 ms with a long tail
    std::vector<std::int64_t> v(n);
    for (auto& x : v) {
        x = static_cast<std::int64_t>(d(rng));
    }
    return v;
}

histogram filled(std::size_t n)
{
    histogram h;
    for (const auto v : latencies(n)) {
        h.record(v);
    }
    return h;
}

void bm_record(benchmark::State& state)
{
    const auto values = latencies(4096);
    histogram h;
    std::size_t i = 0;
    for (auto _ : state) {
        h.record(values[i++ & 4095]);
    }
    benchmark::DoNotOptimize(h.count());
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(bm_record);

void bm_percentile(benchmark::State& state)
{
    const auto h = filled(100'000);
    for (auto _ : state) {
        benchmark::DoNotOptimize(h.percentile(99.9));
    }
}
BENCHMARK(bm_percentile);

void bm_merge(benchmark::State& state)
{
    const auto a = filled(100'000);
    histogram into;
    for (auto _ : state) {
        benchmark::DoNotOptimize(into.merge(a));
    }
}
BENCHMARK(bm_merge);

void bm_encode(benchmark::State& state)
{
    const auto h = filled(100'000);
    std::size_t bytes = 0;
    for (auto _ : state) {
        auto s = h.encode();
        bytes = s.size();
        benchmark::DoNotOptimize(s);
    }
    state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(bm_encode);

void bm_decode(benchmark::State& state)
{
    const auto text = filled(100'000).encode();
    for (auto _ : state) {
        benchmark::DoNotOptimize(histogram::decode(text));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(bm_decode);

// A 10-minute run: 600 samples and full histograms.
wsp::load::run_report long_run()
{
    wsp::load::run_report r;
    r.config.url = "ws://127.0.0.1:9000/echo";
    r.config.connections = 100'000;
    r.config.rate = 1000;
    r.config.duration_s = 600;
    for (int i = 0; i < 600; ++i) {
        wsp::load::sample s;
        s.t_s = i + 1;
        s.open = static_cast<std::uint64_t>(std::min(i + 1, 100) * 1000);
        s.started = i < 100 ? 1000 : 0;
        s.succeeded = s.started;
        s.upgrade_p50_ns = 1'000'000 + i * 1000;
        s.upgrade_p99_ns = 5'000'000 + (i % 7) * 100'000;
        s.rtt_p50_ns = 200'000;
        s.rtt_p99_ns = 900'000;
        r.timeline.push_back(s);
    }
    for (auto& h : r.stats.latency) {
        h = filled(20'000);
    }
    return r;
}

void bm_report_html(benchmark::State& state)
{
    const auto r = long_run();
    std::size_t bytes = 0;
    for (auto _ : state) {
        auto s = wsp::load::report_html(r);
        bytes = s.size();
        benchmark::DoNotOptimize(s);
    }
    state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(bm_report_html)->Unit(benchmark::kMillisecond);

void bm_summary_json(benchmark::State& state)
{
    const auto r = long_run();
    for (auto _ : state) {
        benchmark::DoNotOptimize(wsp::load::summary_json(r));
    }
}
BENCHMARK(bm_summary_json)->Unit(benchmark::kMillisecond);

void bm_progress_line(benchmark::State& state)
{
    const auto r = long_run();
    for (auto _ : state) {
        benchmark::DoNotOptimize(wsp::load::progress_line(r.timeline[42], 17));
    }
}
BENCHMARK(bm_progress_line);

} // namespace

BENCHMARK_MAIN();
