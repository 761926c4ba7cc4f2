// RFC 8441 checks two ways against an HTTP/2 front end on loopback: one connection per check
// (run_check with --http2) versus K checks multiplexed as streams on one connection
// (run_multiplexed). Both modes keep C checks in flight on one reactor and run N checks; each
// repetition measures client CPU per check (getrusage user+sys of this process / checks) and
// checks per second, and the medians over the repetitions are printed last.
//
// usage: h2_mux_bench URL --http2 prior-knowledge|require [--k K] [--concurrency C] [--checks N]
//                     [--reps R] [check options]
// (bench/e2e/h2_run.sh starts wsprobe-lab behind nghttpx and runs h2c and TLS)
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/dns/client.h"
#include "engine/probe/check.h"
#include "engine/probe/h2_mux.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/reactor.h"
#include "bench/e2e/bench_engine.h"
#include "tools/cli/check_options.h"
#include "tools/cli/tls_context.h"

namespace {

struct totals {
    std::size_t started = 0;
    std::size_t up = 0;
    std::size_t down = 0;
    std::size_t not_h2 = 0; // up, but not over HTTP/2: the comparison would be void
    std::string first_failure;
    void add(const wsp::proto::check_result& r)
    {
        if (r.status == wsp::proto::check_status::down) {
            ++down;
            if (first_failure.empty()) {
                first_failure = r.code + ": " + r.sentence;
            }
        } else {
            ++up;
            not_h2 += r.negotiated.http_version == "h2" ? 0 : 1;
        }
    }
};

wsp::rt::task<void> one_per_connection(wsp::probe::probe_env env, const wsp::proto::check_spec* spec,
                                       std::size_t total, totals* t)
{
    while (t->started < total) {
        ++t->started;
        auto r = co_await wsp::probe::run_check(env, spec);
        t->add(r);
    }
}

wsp::rt::task<void> multiplexed(wsp::probe::probe_env env, const wsp::proto::check_spec* spec,
                                std::size_t total, std::size_t k, totals* t)
{
    while (t->started < total) {
        const std::size_t batch = std::min(k, total - t->started);
        t->started += batch;
        auto out = co_await wsp::probe::run_multiplexed(env, spec, batch);
        for (const auto& r : out.results) {
            t->add(r);
        }
    }
}

// C checks in flight: C single-check workers, or C/K connections of K streams each.
wsp::rt::task<void> run_mode(wsp::probe::probe_env env, const wsp::proto::check_spec* spec, std::size_t total,
                             std::size_t concurrency, std::size_t k, totals* t)
{
    wsp::rt::scope s;
    if (k == 0) {
        for (std::size_t i = 0; i < concurrency; ++i) {
            s.spawn(one_per_connection(env, spec, total, t));
        }
    } else {
        for (std::size_t i = 0; i < std::max<std::size_t>(1, concurrency / k); ++i) {
            s.spawn(multiplexed(env, spec, total, k, t));
        }
    }
    co_await s.join();
}

double cpu_seconds()
{
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct sample {
    double cpu_us_per_check = 0;
    double checks_per_s = 0;
    totals t;
};

sample measure(wsp::rt::reactor& r, wsp::probe::probe_env env, const wsp::proto::check_spec& spec,
               std::size_t n, std::size_t concurrency, std::size_t k)
{
    sample s;
    const double cpu0 = cpu_seconds();
    const auto t0 = wsp::rt::mono_now();
    wsp::rt::sync_wait(r, run_mode(env, &spec, n, concurrency, k, &s.t));
    const double wall = static_cast<double>(wsp::rt::mono_now() - t0) / 1e9;
    const double done = static_cast<double>(s.t.up + s.t.down);
    s.cpu_us_per_check = (cpu_seconds() - cpu0) * 1e6 / done;
    s.checks_per_s = done / wall;
    return s;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace

int main(int argc, char** argv)
{
    std::vector<std::string_view> args(argv + 1, argv + argc);
    std::size_t concurrency = 100;
    std::size_t checks = 2000;
    std::size_t k = 50;
    std::size_t reps = 3;
    std::vector<std::string_view> check_args;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const bool has_value = i + 1 < args.size();
        if (args[i] == "--concurrency" && has_value) {
            concurrency = std::strtoul(std::string(args[++i]).c_str(), nullptr, 10);
        } else if (args[i] == "--checks" && has_value) {
            checks = std::strtoul(std::string(args[++i]).c_str(), nullptr, 10);
        } else if (args[i] == "--k" && has_value) {
            k = std::strtoul(std::string(args[++i]).c_str(), nullptr, 10);
        } else if (args[i] == "--reps" && has_value) {
            reps = std::strtoul(std::string(args[++i]).c_str(), nullptr, 10);
        } else {
            check_args.push_back(args[i]);
        }
    }
    auto opts = wsp::cli::parse_check_options(check_args, wsp::cli::environment::system());
    if (!opts || concurrency == 0 || checks == 0 || k == 0 || reps == 0 ||
        opts->spec.http2 == wsp::proto::http2_mode::off) {
        std::fprintf(stderr,
                     "h2_mux_bench: %s\nusage: h2_mux_bench URL --http2 prior-knowledge|require [--k K] "
                     "[--concurrency C] [--checks N] [--reps R] [check options]\n",
                     !opts ? opts.error().c_str() : "bad numbers, or no --http2");
        return 3;
    }
    auto engine = wsp::bench::start_bench_engine("h2_mux_bench", opts->spec);
    if (!engine) {
        return 3;
    }
    auto& reactor = engine->reactor;
    auto& dns = engine->dns;
    const auto& tls_ctx = engine->tls;
    wsp::tls::session_cache cache(64);
    wsp::http1::openssl_entropy entropy;
    const wsp::probe::probe_env env{
        reactor.get(), dns.get(), &entropy, false, tls_ctx ? &*tls_ctx : nullptr, &cache, {}};
    const auto& spec = opts->spec;

    // Warm-up: frame pools, buffer ring, OpenSSL's RNG, the front end's backend connections.
    (void)measure(*reactor, env, spec, std::min<std::size_t>(checks / 10 + 1, 200),
                  std::min<std::size_t>(concurrency, 50), 0);
    (void)measure(*reactor, env, spec, std::min<std::size_t>(checks / 10 + 1, 200),
                  std::min<std::size_t>(concurrency, 50), k);

    std::vector<double> cpu[2];
    std::vector<double> rate[2];
    const char* names[2] = {"conn_per_check", "multiplexed"};
    bool failed = false;
    for (std::size_t rep = 1; rep <= reps; ++rep) {
        for (int mode = 0; mode < 2; ++mode) {
            const std::size_t mode_k = mode == 0 ? 0 : k;
            const sample s = measure(*reactor, env, spec, checks, concurrency, mode_k);
            cpu[mode].push_back(s.cpu_us_per_check);
            rate[mode].push_back(s.checks_per_s);
            std::printf(
                "rep=%zu mode=%s k=%zu in_flight=%zu checks=%zu up=%zu down=%zu not_h2=%zu checks_per_s=%.0f "
                "cpu_us_per_check=%.1f\n",
                rep, names[mode], mode == 0 ? std::size_t{1} : k, concurrency, s.t.up + s.t.down, s.t.up,
                s.t.down, s.t.not_h2, s.checks_per_s, s.cpu_us_per_check);
            if (!s.t.first_failure.empty()) {
                std::printf("  first failure: %s\n", s.t.first_failure.c_str());
            }
            failed = failed || s.t.down != 0 || s.t.not_h2 != 0;
        }
    }
    wsp::rt::sync_wait(*reactor, dns->close());
    for (int mode = 0; mode < 2; ++mode) {
        std::printf("median mode=%s url=%s checks_per_s=%.0f cpu_us_per_check=%.1f (of %zu reps)\n",
                    names[mode], spec.url.text().c_str(), median(rate[mode]), median(cpu[mode]), reps);
    }
    std::printf("cpu_ratio conn_per_check/multiplexed=%.2f\n", median(cpu[0]) / median(cpu[1]));
    return failed ? 2 : 0;
}
