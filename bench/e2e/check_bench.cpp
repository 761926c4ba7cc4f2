// End-to-end check throughput: runs plain ws:// checks (connect, upgrade, one echo, close)
// against a server on loopback with C checks in flight on one reactor, and reports checks per
// second, client CPU per check (user+sys of this process / checks) and peak RSS.
//
// usage: check_bench URL [--concurrency C] [--checks N] [--openssl-baseline] [check options]
// For wss:// URLs, --openssl-baseline first measures the same TLS handshake (same context
// settings, key type and cipher suite) with plain OpenSSL calls on blocking sockets, and reports
// the client CPU of a whole wss check as a ratio to it.
// (bench/e2e/run.sh starts wsprobe-lab and runs the standard set)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/e2e/bench_engine.h"
#include "engine/dns/client.h"
#include "engine/probe/check.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/reactor.h"
#include "tools/cli/check_options.h"
#include "tools/cli/tls_context.h"

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

double process_cpu()
{
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return cpu_seconds(u);
}

// The same full handshake with OpenSSL alone: blocking connect, SSL_connect on the probe's own
// SSL_CTX (so verification, key type and cipher suite are identical), close_notify, close.
// Returns CPU microseconds per handshake, or a negative value on failure.
double openssl_baseline(const wsp::tls::context& ctx, const wsp::proto::ws_url& url, std::size_t n)
{
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(url.port);
    if (::inet_pton(AF_INET, url.host.c_str(), &addr.sin_addr) != 1) {
        std::fprintf(stderr, "check_bench: --openssl-baseline needs an IPv4 literal host\n");
        return -1;
    }
    const double before = process_cpu();
    for (std::size_t i = 0; i < n; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            ::close(fd);
            return -1;
        }
        SSL* ssl = SSL_new(ctx.native_handle());
        SSL_set_fd(ssl, fd);
        SSL_set1_host(ssl, nullptr);
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url.host.c_str());
        const int ok = SSL_connect(ssl);
        if (ok == 1) {
            SSL_shutdown(ssl);
        }
        SSL_free(ssl);
        ::close(fd);
        if (ok != 1) {
            std::fprintf(stderr, "check_bench: OpenSSL handshake failed\n");
            return -1;
        }
    }
    return (process_cpu() - before) * 1e6 / static_cast<double>(n);
}

} // namespace

int main(int argc, char** argv)
{
    std::vector<std::string_view> args(argv + 1, argv + argc);
    std::size_t concurrency = 1;
    std::size_t checks = 2000;
    bool baseline = false;
    std::vector<std::string_view> check_args;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--concurrency" && i + 1 < args.size()) {
            concurrency = std::strtoul(std::string(args[++i]).c_str(), nullptr, 10);
        } else if (args[i] == "--openssl-baseline") {
            baseline = true;
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
    // The TLS suite is pinned, so the baseline and the probe negotiate the same one.
    auto engine = wsp::bench::start_bench_engine("check_bench", opts->spec);
    if (!engine) {
        return 3;
    }
    auto& reactor = engine->reactor;
    auto& dns = engine->dns;
    auto& tls_ctx = engine->tls;
    double baseline_us = -1;
    if (baseline && tls_ctx) {
        (void)openssl_baseline(*tls_ctx, opts->spec.url, 50); // warm-up
        baseline_us = openssl_baseline(*tls_ctx, opts->spec.url, std::min<std::size_t>(checks, 2000));
    }
    wsp::tls::session_cache cache(64);
    wsp::http1::openssl_entropy entropy;
    wsp::probe::probe_env env{reactor.get(), dns.get(), &entropy, false, tls_ctx ? &*tls_ctx : nullptr, &cache, {}};

    // Warm-up: frame pools, buffer ring, OpenSSL's RNG.
    totals warm;
    {
        wsp::proto::check_spec spec = opts->spec;
        auto d2 = wsp::dns::client::create(*reactor, {});
        wsp::probe::probe_env wenv{reactor.get(), d2->get(), &entropy, false, tls_ctx ? &*tls_ctx : nullptr, &cache, {}};
        wsp::rt::sync_wait(*reactor, run_all(wenv, &spec, std::min<std::size_t>(checks / 10 + 1, 200),
                                              std::min<std::size_t>(concurrency, 50), &warm));
    }
    rusage before{};
    ::getrusage(RUSAGE_SELF, &before);
    const auto t0 = wsp::rt::mono_now();
    totals t;
    wsp::rt::sync_wait(*reactor, run_all(env, &opts->spec, checks, concurrency, &t));
    const auto t1 = wsp::rt::mono_now();
    rusage after{};
    ::getrusage(RUSAGE_SELF, &after);
    const double wall = static_cast<double>(t1 - t0) / 1e9;
    const double cpu = cpu_seconds(after) - cpu_seconds(before);
    std::printf("concurrency=%zu checks=%zu up=%zu down=%zu wall=%.3fs checks_per_s=%.0f cpu_us_per_check=%.1f "
                "peak_rss_kb=%ld\n",
                concurrency, t.up + t.down, t.up, t.down, wall, static_cast<double>(t.up + t.down) / wall,
                cpu * 1e6 / static_cast<double>(t.up + t.down), after.ru_maxrss);
    if (baseline_us > 0) {
        const double per_check = cpu * 1e6 / static_cast<double>(t.up + t.down);
        std::printf("openssl_handshake_cpu_us=%.1f wss_check_cpu_us=%.1f ratio=%.2f (same SSL_CTX, P-256, "
                    "TLS_AES_128_GCM_SHA256)\n",
                    baseline_us, per_check, per_check / baseline_us);
    }
    if (!t.first_failure.empty()) {
        std::printf("first failure: %s\n", t.first_failure.c_str());
    }
    return t.down == 0 ? 0 : 2;
}
