// wsprobe-lab: the fault-injection WebSocket server (tools/lab/server.h) behind a small CLI.
#include <signal.h>
#include <sys/resource.h>

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <exception>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tools/lab/options.h"
#include "tools/lab/scenario.h"
#include "tools/lab/server.h"
#include "tools/lab/tls_scenarios.h"

namespace {

// Direct-descriptor tables are sized from RLIMIT_NOFILE: take the hard limit so one reactor can
// hold tens of thousands of connections.
void raise_descriptor_limit() noexcept
{
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        (void)::setrlimit(RLIMIT_NOFILE, &lim);
    }
}

// Provided receive buffers per reactor: every buffer of a ring gets touched as the ring cycles,
// so the resident cost is count x 4 KiB per reactor whatever the traffic. Keep about 16,384 in
// all (64 MiB), at least 1,024 and at most 4,096 per ring: 12 reactors holding 200,000 idle
// connections then touch 48 MiB instead of 192 MiB.
unsigned buffers_per_reactor(unsigned threads) noexcept
{
    unsigned n = 4096;
    while (n > 1024 && static_cast<std::uint64_t>(n) * threads > 16384) {
        n /= 2;
    }
    return n;
}

int run(const wsp::lab::lab_options& o)
{
    raise_descriptor_limit();
    // Block the stop signals before any thread starts, so every reactor thread inherits the mask
    // and only sigwait below receives them.
    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGINT);
    sigaddset(&stop_set, SIGTERM);
    ::pthread_sigmask(SIG_BLOCK, &stop_set, nullptr);

    wsp::lab::server_config cfg;
    cfg.listen = o.listen;
    cfg.threads = o.threads;
    const unsigned reactors = o.threads != 0 ? o.threads : std::thread::hardware_concurrency();
    cfg.reactor.buffer_count = buffers_per_reactor(reactors);
    cfg.log = o.log;
    cfg.limits.h2_connect_protocol = o.h2_connect_protocol;
    if (!o.tls_dir.empty()) {
        auto tls = wsp::lab::prepare_tls_scenarios(o.tls_dir, static_cast<std::int64_t>(std::time(nullptr)),
                                                   wsp::rt::address::loopback_v4(0));
        if (!tls) {
            std::fprintf(stderr, "wsprobe-lab: %s\n", tls.error().c_str());
            return 1;
        }
        cfg.tls_listen = std::move(*tls);
    }
    std::string diagnostic;
    auto s = wsp::lab::server::start(cfg, &diagnostic);
    if (!s) {
        std::fprintf(stderr, "wsprobe-lab: %s\n",
                     diagnostic.empty() ? std::string(s.error().describe()).c_str() : diagnostic.c_str());
        return 1;
    }
    for (const auto& a : (*s)->local_addresses()) {
        std::printf("wsprobe-lab listening on ws://%s\n", a.to_string().c_str());
    }
    const auto& tls_bound = (*s)->tls_addresses();
    for (std::size_t i = 0; i < tls_bound.size(); ++i) {
        std::printf("wsprobe-lab listening on wss://%s (tls: %s)\n", tls_bound[i].to_string().c_str(),
                    cfg.tls_listen[i].name.c_str());
    }
    std::fflush(stdout);
    int sig = 0;
    while (::sigwait(&stop_set, &sig) != 0) {
    }
    (*s)->stop();
    if (o.log) {
        const auto st = (*s)->stats();
        std::fprintf(stderr, "wsprobe-lab: stopped on %s after %llu connections (%llu upgraded)\n",
                     sig == SIGINT ? "SIGINT" : "SIGTERM", static_cast<unsigned long long>(st.accepted),
                     static_cast<unsigned long long>(st.upgraded));
    }
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    auto o = wsp::lab::parse_options(args);
    if (!o) {
        std::fprintf(stderr, "wsprobe-lab: %s (see --help)\n", o.error().c_str());
        return 3;
    }
    if (o->help) {
        std::fputs(wsp::lab::usage().c_str(), stdout);
        return 0;
    }
    if (o->list) {
        std::fputs(wsp::lab::describe_routes().c_str(), stdout);
        return 0;
    }
    try {
        return run(*o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "wsprobe-lab: %s\n", e.what());
        return 1;
    }
}
