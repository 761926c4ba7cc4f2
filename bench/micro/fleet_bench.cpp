// Fleet building blocks at 50,000 checks: config parse and validation, rendezvous placement, the
// due queue's pop-and-reschedule cycle, and Prometheus rendering.
#include <benchmark/benchmark.h>

#include <string>

#include "engine/fleet/config.h"
#include "engine/fleet/metrics.h"
#include "engine/fleet/schedule.h"
#include "engine/fleet/secret.h"
#include "engine/fleet/shard.h"

namespace {

using namespace wsp::fleet;

constexpr int fleet_size = 50'000;

std::string fleet_json(int n)
{
    std::string json = R"({"modules": {"m": {"rtt": "echo", "timeouts": {"overall": "5s"},
        "headers": {"X-Team": "core"}}}, "checks": [)";
    for (int i = 0; i < n; ++i) {
        json += i ? "," : "";
        json += R"({"id": "check-)" + std::to_string(i) + R"(", "url": "wss://host)" +
                std::to_string(i % 997) +
                R"(.example.com/ws", "module": "m", "interval": "30s", "labels": {"region": "r)" +
                std::to_string(i % 8) + R"(", "team": "t)" + std::to_string(i % 32) + R"("}})";
    }
    return json + "]}";
}

const fleet_config& parsed_fleet()
{
    static const fleet_config cfg = *parse_config(fleet_json(fleet_size), config_context{});
    return cfg;
}

void config_parse_50k(benchmark::State& state)
{
    const std::string json = fleet_json(fleet_size);
    for (auto _ : state) {
        auto cfg = parse_config(json, config_context{});
        if (!cfg || cfg->checks.size() != fleet_size) {
            state.SkipWithError("parse failed");
        }
        benchmark::DoNotOptimize(cfg);
    }
    state.SetItemsProcessed(state.iterations() * fleet_size);
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(json.size()));
}
BENCHMARK(config_parse_50k)->Unit(benchmark::kMillisecond);

void rendezvous_owner(benchmark::State& state)
{
    const auto shards = static_cast<std::uint32_t>(state.range(0));
    const auto& cfg = parsed_fleet();
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(owner_shard(cfg.checks[i].id, shards));
        i = i + 1 == cfg.checks.size() ? 0 : i + 1;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(rendezvous_owner)->Arg(4)->Arg(16)->Arg(64);

// One scheduler step at steady state: pop the due check, compute its next slot, push it back.
void due_queue_pop_reschedule_50k(benchmark::State& state)
{
    const auto& cfg = parsed_fleet();
    std::vector<slot_grid> grids;
    due_queue q(cfg.checks.size());
    for (std::size_t i = 0; i < cfg.checks.size(); ++i) {
        grids.push_back(grid_for(cfg.checks[i].id, cfg.checks[i].interval));
        q.schedule(static_cast<due_queue::slot>(i), first_due(grids.back(), 0));
    }
    for (auto _ : state) {
        const auto e = q.pop();
        const auto next = next_due(grids[e->id], e->due_ns, e->due_ns + 1);
        q.schedule(e->id, next.due_ns);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(due_queue_pop_reschedule_50k);

void due_queue_insert_50k(benchmark::State& state)
{
    const auto& cfg = parsed_fleet();
    std::vector<std::int64_t> due;
    for (const auto& c : cfg.checks) {
        due.push_back(first_due(grid_for(c.id, c.interval), 0));
    }
    due_queue q(due.size());
    for (auto _ : state) {
        for (std::size_t i = 0; i < due.size(); ++i) {
            q.schedule(static_cast<due_queue::slot>(i), due[i]);
        }
        state.PauseTiming();
        while (q.pop()) {
        }
        state.ResumeTiming();
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(due.size()));
}
BENCHMARK(due_queue_insert_50k)->Unit(benchmark::kMillisecond);

void prometheus_render_50k(benchmark::State& state)
{
    const auto& cfg = parsed_fleet();
    fleet_metrics m;
    m.set_checks(cfg.checks);
    wsp::proto::check_result r;
    r.status = wsp::proto::check_status::up;
    for (std::size_t p = 0; p < wsp::proto::phase_count; ++p) {
        r.phase_ns[p] = 1'000'000 * static_cast<std::int64_t>(p + 1);
    }
    r.total_ns = 30'000'000;
    r.rtt_ns = 7'000'000;
    r.tls = wsp::proto::tls_info{};
    r.tls->chain_not_after = "2026-01-31T00:00:00Z";
    for (std::size_t i = 0; i < cfg.checks.size(); ++i) {
        m.record(i, r);
    }
    std::string out;
    for (auto _ : state) {
        out.clear();
        m.render(out);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations() * fleet_size);
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(out.size()));
    state.counters["body_MB"] = static_cast<double>(out.size()) / 1e6;
}
BENCHMARK(prometheus_render_50k)->Unit(benchmark::kMillisecond);

void secret_open(benchmark::State& state)
{
    const master_key key = *generate_master_key();
    const std::string sealed = *seal_secret("Bearer 0123456789abcdef0123456789abcdef", key);
    for (auto _ : state) {
        benchmark::DoNotOptimize(open_secret(sealed, key));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(secret_open);

} // namespace

BENCHMARK_MAIN();
