// wsprobe: the command-line front end. Subcommands: check, selfcheck. Exit codes follow the
// monitoring-plugin convention: 0 up, 1 degraded, 2 down, 3 usage or internal error.
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/dns/client.h"
#include "engine/probe/check.h"
#include "engine/probe/compare.h"
#include "engine/probe/h2_mux.h"
#include "engine/runtime/reactor.h"
#include "engine/runtime/self_check.h"
#include "proto/render.h"
#include "proto/render_compare.h"
#include "proto/render_streams.h"
#include "tools/cli/check_options.h"
#include "tools/cli/tls_context.h"
#include "tools/wsprobe/fleet_command.h"
#include "tools/wsprobe/load_command.h"

namespace {

constexpr int exit_up = 0;
constexpr int exit_degraded = 1;
constexpr int exit_down = 2;
constexpr int exit_usage = 3;

constexpr std::string_view usage = R"(usage: wsprobe <command> [options]

Commands:
  check URL [options]   check a ws:// or wss:// endpoint (wsprobe check --help)
  selfcheck             report what the io_uring runtime got from this kernel
  run CONFIG            run a fleet of scheduled checks (wsprobe run --help)
  load URL [options]    open-loop load, every connection validated and held (wsprobe load --help)
  serve                 blackbox-exporter-style /probe and /metrics over HTTP (wsprobe serve --help)
  secret encrypt|decrypt  seal or open a config secret (enc:v1:...) with the master key

Exit codes: 0 up, 1 degraded, 2 down, 3 usage or internal error.
)";

int fail_usage(const std::string& message)
{
    std::fprintf(stderr, "wsprobe: %s\n", message.c_str());
    return exit_usage;
}

// Runs `run` (a check, a compare, the streams), then closes the DNS client's sockets (c-ares
// keeps them open) before the reactor that owns them goes away.
template <class T> wsp::rt::task<T> then_close(wsp::rt::task<T> run, wsp::dns::client* dns)
{
    T result = co_await std::move(run);
    if (dns != nullptr) {
        co_await dns->close();
    }
    co_return result;
}

int exit_for(wsp::proto::check_status s)
{
    switch (s) {
    case wsp::proto::check_status::up:
        return exit_up;
    case wsp::proto::check_status::degraded:
        return exit_degraded;
    case wsp::proto::check_status::down:
        return exit_down;
    }
    return exit_down;
}

// --compare-transports: env's TLS context offers h2 (spec.tls.offer_h2 is set for wss://); the
// HTTP/1.1 run gets a context whose ALPN offers only http/1.1, and a session cache of its own.
int run_compare_command(wsp::rt::reactor& reactor, wsp::probe::probe_env env,
                        const wsp::cli::check_options& opts, bool color)
{
    std::optional<wsp::tls::context> http1_ctx;
    wsp::tls::session_cache http1_cache(64);
    if (opts.spec.url.secure) {
        auto tls = opts.spec.tls;
        tls.offer_h2 = false;
        auto ctx = wsp::cli::make_client_tls_context(tls);
        if (!ctx) {
            return fail_usage(ctx.error());
        }
        http1_ctx.emplace(std::move(*ctx));
    }
    const wsp::probe::http1_tls h1{http1_ctx ? &*http1_ctx : nullptr, &http1_cache};
    const auto result =
        wsp::rt::sync_wait(reactor, then_close(wsp::probe::run_compare(env, &opts.spec, h1), env.dns));
    for (const auto* run : {&result.http1, &result.h2}) {
        if (opts.verbose && !run->transcript.empty()) {
            std::FILE* to = opts.json ? stderr : stdout;
            std::fputs(run == &result.http1 ? "# HTTP/1.1\n" : "# HTTP/2\n", to);
            std::fputs(run->transcript.c_str(), to);
            std::fputc('\n', to);
        }
    }
    const std::string out = opts.json ? wsp::proto::render_compare_json(result)
                                      : wsp::proto::render_compare_text(result, {color});
    std::fputs(out.c_str(), stdout);
    return exit_for(result.combined.status);
}

// --h2-streams N: N probes as extended CONNECT streams on one HTTP/2 connection.
int run_streams_command(wsp::rt::reactor& reactor, wsp::probe::probe_env env,
                        const wsp::cli::check_options& opts, bool color)
{
    const auto outcome = wsp::rt::sync_wait(
        reactor, then_close(wsp::probe::run_multiplexed(env, &opts.spec, opts.h2_streams), env.dns));
    if (opts.verbose) {
        std::FILE* to = opts.json ? stderr : stdout;
        for (std::size_t i = 0; i < outcome.results.size(); ++i) {
            if (!outcome.results[i].transcript.empty()) {
                std::fprintf(to, "# stream %d\n%s\n", static_cast<int>(outcome.stream_ids[i]),
                             outcome.results[i].transcript.c_str());
            }
        }
    }
    const std::string out =
        opts.json ? wsp::proto::render_streams_json(outcome.results, outcome.stream_ids)
                  : wsp::proto::render_streams_text(outcome.results, outcome.stream_ids, {color});
    std::fputs(out.c_str(), stdout);
    return exit_for(wsp::proto::summarize_streams(outcome.results).status);
}

int run_check_command(std::span<const std::string_view> args)
{
    auto opts = wsp::cli::parse_check_options(args, wsp::cli::environment::system());
    if (!opts) {
        return fail_usage(opts.error());
    }
    if (opts->help) {
        std::fputs(wsp::cli::check_usage().data(), stdout);
        return exit_up;
    }
    std::string why;
    wsp::rt::reactor_config cfg;
    cfg.sq_entries = 64;
    cfg.buffer_count = 64;
    cfg.fd_table_size = 64;
    auto reactor = wsp::rt::reactor::create(cfg, &why);
    if (!reactor) {
        return fail_usage("cannot start the io_uring runtime: " +
                          (why.empty() ? std::string(reactor.error().describe()) : why));
    }
    wsp::dns::resolver_options dns_opts;
    dns_opts.lookup_timeout_ns = static_cast<std::int64_t>(opts->spec.timeouts.dns.count()) * 1'000'000;
    auto dns = wsp::dns::client::create(**reactor, dns_opts);
    if (!dns) {
        return fail_usage("cannot start the DNS resolver: " + std::string(dns.error().describe()));
    }
    std::optional<wsp::tls::context> tls_ctx;
    wsp::tls::session_cache tls_cache(64);
    if (opts->spec.url.secure) {
        auto ctx = wsp::cli::make_client_tls_context(opts->spec.tls);
        if (!ctx) {
            return fail_usage(ctx.error());
        }
        tls_ctx.emplace(std::move(*ctx));
    }
    wsp::http1::openssl_entropy entropy;
    wsp::probe::probe_env env{
        reactor->get(), dns->get(), &entropy, opts->verbose, tls_ctx ? &*tls_ctx : nullptr, &tls_cache, {}};
    const bool color = opts->color == wsp::cli::color_mode::always ||
                       (opts->color == wsp::cli::color_mode::automatic && ::isatty(STDOUT_FILENO) == 1);
    if (opts->compare_transports) {
        const int code = run_compare_command(**reactor, env, *opts, color);
        dns->reset();
        return code;
    }
    if (opts->h2_streams > 0) {
        const int code = run_streams_command(**reactor, env, *opts, color);
        dns->reset();
        return code;
    }
    auto result =
        wsp::rt::sync_wait(**reactor, then_close(wsp::probe::run_check(env, &opts->spec), dns->get()));
    dns->reset();

    if (opts->verbose && !result.transcript.empty()) {
        std::fputs(result.transcript.c_str(), opts->json ? stderr : stdout);
        if (!opts->json) {
            std::fputc('\n', stdout);
        }
    }
    const std::string out =
        opts->json ? wsp::proto::render_json(result) : wsp::proto::render_text(result, {color});
    std::fputs(out.c_str(), stdout);
    return exit_for(result.status);
}

int run_selfcheck()
{
    const auto r = wsp::rt::self_check();
    std::fputs(r.report.c_str(), stdout);
    return r.ok ? exit_up : exit_usage;
}

} // namespace

int main(int argc, char** argv)
{
    try {
        std::vector<std::string_view> args(argv + 1, argv + argc);
        if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
            std::fputs(usage.data(), args.empty() ? stderr : stdout);
            return args.empty() ? exit_usage : exit_up;
        }
        if (args[0] == "--version") {
            std::puts("wsprobe 0.1.0");
            return exit_up;
        }
        if (args[0] == "check") {
            return run_check_command(std::span<const std::string_view>(args).subspan(1));
        }
        if (args[0] == "selfcheck") {
            return run_selfcheck();
        }
        if (args[0] == "load") {
            return wsp::cli::run_load_command(std::span<const std::string_view>(args).subspan(1));
        }
        if (args[0] == "run" || args[0] == "serve" || args[0] == "secret") {
            return wsp::cli::run_fleet_command(args);
        }
        return fail_usage("unknown command '" + std::string(args[0]) + "' (try wsprobe --help)");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "wsprobe: internal error: %s\n", e.what());
        return exit_usage;
    }
}
