// End-to-end check throughput: runs plain ws:// checks (connect, upgrade, one echo, close)
// against a server on loopback with C checks in flight on one reactor, and reports checks per
// second, client CPU per check (user+sys of this process / checks) and peak RSS.
//
// usage: check_bench URL [--concurrency C] [--checks N] [--rtt none|echo]
// (bench/e2e/run.sh starts wsprobe-lab and runs the standard set)
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "engine/dns/client.h"
#include "engine/probe/check.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/reactor.h"
#include "tools/cli/check_options.h"

namespace {

struct totals {
    std::size_t started = 0;
    std::size_t up = 0;
    std::size_t down = 0;
    std::string first_failure;
};

wsp::rt::task<void> worker(wsp::probe::probe_env env, const wsp::proto::check_spec* spec, std::size_t total,
                           totals* t)
{
    while (t->started < total) {
        ++t->started;
        auto r = co_await wsp::probe::run_check(env, spec);
        if (r.status == wsp::proto::check_status::down) {
            ++t->down;
            if (t->first_failure.empty()) {
                t->first_failure = r.code + ": " + r.sentence;
            }
        } else {
            ++t->up;
        }
    }
}

wsp::rt::task<void> run_all(wsp::probe::probe_env env, const wsp::proto::check_spec* spec, std::size_t total,
                            std::size_t concurrency, totals* t)
{
    wsp::rt::scope s;
    for (std::size_t i = 0; i < concurrency; ++i) {
        s.spawn(worker(env, spec, total, t));
    }
    co_await s.join();
    co_await env.dns->close();
}

double cpu_seconds(const rusage& u)
{
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

} // namespace

int main(int argc, char** argv)
{
    std::vector<std::string_view> args(argv + 1, argv + argc);
    std::size_t concurrency = 1;
    std::size_t checks = 2000;
    std::vector<std::string_view> check_args;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--concurrency" && i + 1 < args.size()) {
            concurrency = std::strtoul(std::string(args[++i]).c_str(), nullptr, 10);
        } else if (args[i] == "--checks" && i + 1 < args.size()) {
            checks = std::strtoul(std::string(args[++i]).c_str(), nullptr, 10);
        } else {
            check_args.push_back(args[i]);
        }
    }
    auto opts = wsp::cli::parse_check_options(check_args, wsp::cli::environment::system());
    if (!opts || concurrency == 0 || checks == 0) {
        std::fprintf(stderr, "check_bench: %s\nusage: check_bench URL [--concurrency C] [--checks N] [check options]\n",
                     opts ? "bad numbers" : opts.error().c_str());
        return 3;
    }
    wsp::rt::reactor_config cfg;
    cfg.buffer_count = 4096;
    std::string why;
    auto reactor = wsp::rt::reactor::create(cfg, &why);
    if (!reactor) {
        std::fprintf(stderr, "check_bench: %s\n", why.c_str());
        return 3;
    }
    auto dns = wsp::dns::client::create(**reactor, {});
    if (!dns) {
        return 3;
    }
    wsp::http1::openssl_entropy entropy;
    wsp::probe::probe_env env{reactor->get(), dns->get(), &entropy, false};

    // Warm-up: frame pools, buffer ring, OpenSSL's RNG.
    totals warm;
    {
        wsp::proto::check_spec spec = opts->spec;
        auto d2 = wsp::dns::client::create(**reactor, {});
        wsp::probe::probe_env wenv{reactor->get(), d2->get(), &entropy, false};
        wsp::rt::sync_wait(**reactor, run_all(wenv, &spec, std::min<std::size_t>(checks / 10 + 1, 200),
                                              std::min<std::size_t>(concurrency, 50), &warm));
    }
    rusage before{};
    ::getrusage(RUSAGE_SELF, &before);
    const auto t0 = wsp::rt::mono_now();
    totals t;
    wsp::rt::sync_wait(**reactor, run_all(env, &opts->spec, checks, concurrency, &t));
    const auto t1 = wsp::rt::mono_now();
    rusage after{};
    ::getrusage(RUSAGE_SELF, &after);
    const double wall = static_cast<double>(t1 - t0) / 1e9;
    const double cpu = cpu_seconds(after) - cpu_seconds(before);
    std::printf("concurrency=%zu checks=%zu up=%zu down=%zu wall=%.3fs checks_per_s=%.0f cpu_us_per_check=%.1f "
                "peak_rss_kb=%ld\n",
                concurrency, t.up + t.down, t.up, t.down, wall, static_cast<double>(t.up + t.down) / wall,
                cpu * 1e6 / static_cast<double>(t.up + t.down), after.ru_maxrss);
    if (!t.first_failure.empty()) {
        std::printf("first failure: %s\n", t.first_failure.c_str());
    }
    return t.down == 0 ? 0 : 2;
}
