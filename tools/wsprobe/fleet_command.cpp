// `wsprobe run`, `wsprobe serve` and `wsprobe secret`: flags, files, signals (SIGHUP reloads,
// SIGINT/SIGTERM stop) and exit codes over the fleet runner (engine/fleet).
#include "tools/wsprobe/fleet_command.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/fleet/loader.h"
#include "engine/fleet/runner.h"
#include "engine/fleet/secret.h"
#include "engine/fleet/shard.h"
#include "engine/fleet/ssrf.h"
#include "engine/fleet/webhook.h"
#include "proto/json_writer.h"
#include "tools/cli/tls_context.h"

namespace wsp::cli {
namespace {

using namespace std::chrono_literals;
using args_t = std::span<const std::string_view>;

constexpr int exit_ok = 0;
constexpr int exit_degraded = 1;
constexpr int exit_down = 2;
constexpr int exit_usage = 3;

constexpr std::string_view run_usage = R"(usage: wsprobe run CONFIG [options]

Runs every check of CONFIG (JSON: modules and checks) on its interval and writes one JSON line per
result and per state change.
  --shard K/N          run only the checks that rendezvous-hash to shard K of N (0 <= K < N)
  --threads N          reactors (default: one per core)
  --output FILE|-      JSON lines to FILE (appended) or stdout (default -)
  --listen ADDR:PORT   serve /metrics, /probe, /-/healthy, /-/ready over HTTP
  --deny-private       SSRF guard: also refuse RFC 1918, loopback, ULA and CGNAT addresses
  --allow CIDR         SSRF guard exception (repeatable), e.g. --allow 127.0.0.0/8
  --no-ssrf-guard      connect anywhere (the guard refuses link-local and metadata by default)
  --key-file FILE      master key for enc:v1: secrets (or WSPROBE_MASTER_KEY)
  --queue N            output lines held for a slow consumer before dropping (default 65536)
  --once               run every check once, now, then exit 0 up, 1 degraded, 2 down
  --webhook URL        POST each state change's JSON to http://IP[:PORT]/PATH (3 attempts)
SIGHUP reloads CONFIG (a bad file is refused and the running one kept); SIGINT/SIGTERM stop.
)";

constexpr std::string_view serve_usage = R"(usage: wsprobe serve [options]

Blackbox-exporter-style HTTP: /probe?target=URL&module=NAME runs one check, /metrics, /-/healthy.
  --config FILE        modules for /probe (JSON "modules"; SIGHUP reloads)
  --listen ADDR:PORT   default 127.0.0.1:9115
  --threads N, --deny-private, --allow CIDR, --no-ssrf-guard, --key-file FILE as for run
)";

constexpr std::string_view secret_usage = R"(usage: wsprobe secret genkey
       wsprobe secret encrypt [VALUE] [--key-file FILE]   (VALUE from stdin when absent)
       wsprobe secret decrypt [SEALED] [--key-file FILE]
The master key comes from WSPROBE_MASTER_KEY or --key-file (base64 or hex of 32 bytes).
)";

int usage_error(const std::string& message)
{
    std::fprintf(stderr, "wsprobe: %s\n", message.c_str());
    return exit_usage;
}

struct fleet_options {
    std::optional<std::string> config;
    fleet::shard_spec shard{};
    unsigned threads = 0;
    std::string output = "-";
    std::optional<std::string> listen;
    bool guard = true;
    fleet::ssrf_policy ssrf;
    std::optional<std::string> key_file;
    std::size_t queue = 65536;
    bool once = false;
    std::optional<std::string> webhook;
    bool help = false;
};

std::optional<unsigned> parse_count(std::string_view v, unsigned max)
{
    unsigned n = 0;
    const auto [at, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc{} || at != v.data() + v.size() || n == 0 || n > max) {
        return std::nullopt;
    }
    return n;
}

tl::expected<fleet_options, std::string> parse_fleet_options(args_t args, bool serve)
{
    fleet_options o;
    for (std::size_t i = 1; i < args.size(); ++i) {
        const std::string_view a = args[i];
        const auto value = [&]() -> std::optional<std::string_view> {
            return i + 1 < args.size() ? std::optional<std::string_view>(args[++i]) : std::nullopt;
        };
        if (a == "-h" || a == "--help") {
            o.help = true;
        } else if (a == "--deny-private") {
            o.ssrf.deny_private = true;
        } else if (a == "--no-ssrf-guard") {
            o.guard = false;
        } else if (a == "--once" && !serve) {
            o.once = true;
        } else if (a == "--shard" || a == "--threads" || a == "--output" || a == "--listen" ||
                   a == "--allow" || a == "--key-file" || a == "--queue" || a == "--config" ||
                   (a == "--webhook" && !serve)) {
            const auto v = value();
            if (!v) {
                return tl::unexpected("option " + std::string(a) + " needs a value");
            }
            if (a == "--shard") {
                auto s = fleet::parse_shard(*v);
                if (!s) {
                    return tl::unexpected("option --shard: '" + std::string(*v) +
                                          "' is not K/N with 0 <= K < N");
                }
                o.shard = *s;
            } else if (a == "--threads" || a == "--queue") {
                auto n = parse_count(*v, a == "--threads" ? 256U : 1U << 24);
                if (!n) {
                    return tl::unexpected("option " + std::string(a) + ": '" + std::string(*v) +
                                          "' is not a positive count");
                }
                if (a == "--threads") {
                    o.threads = *n;
                } else {
                    o.queue = *n;
                }
            } else if (a == "--allow") {
                auto b = fleet::parse_cidr(*v);
                if (!b) {
                    return tl::unexpected("option --allow: '" + std::string(*v) +
                                          "' is not an address or CIDR block");
                }
                o.ssrf.allow.add(*b);
            } else if (a == "--output") {
                o.output = std::string(*v);
            } else if (a == "--listen") {
                o.listen = std::string(*v);
            } else if (a == "--key-file") {
                o.key_file = std::string(*v);
            } else if (a == "--webhook") {
                std::string why;
                if (!fleet::parse_webhook_url(*v, &why)) {
                    return tl::unexpected("option --webhook: " + why);
                }
                o.webhook = std::string(*v);
            } else if (serve) {
                o.config = std::string(*v);
            } else {
                return tl::unexpected(
                    std::string("option --config is for serve; run takes CONFIG as its argument"));
            }
        } else if (!serve && !a.starts_with("-") && !o.config) {
            o.config = std::string(a);
        } else {
            return tl::unexpected("unknown option '" + std::string(a) + "' (try wsprobe " +
                                  std::string(args[0]) + " --help)");
        }
    }
    if (!serve && !o.config && !o.help) {
        return tl::unexpected(std::string("run needs a CONFIG file (try wsprobe run --help)"));
    }
    if (serve && !o.listen) {
        o.listen = "127.0.0.1:9115";
    }
    return o;
}

// "127.0.0.1:9115", "[::1]:9115", ":9115" (every IPv4 address).
tl::expected<rt::address, std::string> parse_listen(std::string_view text)
{
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
        return tl::unexpected("option --listen: '" + std::string(text) + "' is not ADDR:PORT");
    }
    std::string_view host = text.substr(0, colon);
    const std::string_view port_text = text.substr(colon + 1);
    unsigned port = 0;
    const auto [at, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || at != port_text.data() + port_text.size() || port > 65535) {
        return tl::unexpected("option --listen: '" + std::string(port_text) + "' is not a port");
    }
    if (host.empty()) {
        host = "0.0.0.0";
    }
    auto a = rt::address::parse(host, static_cast<std::uint16_t>(port));
    if (!a) {
        return tl::unexpected("option --listen: '" + std::string(host) +
                              "' is not a numeric IPv4 or IPv6 address");
    }
    return *a;
}

fleet::tls_factory client_tls_factory()
{
    return [](const proto::tls_options& t) -> tl::expected<std::shared_ptr<const tls::context>, std::string> {
        auto ctx = make_client_tls_context(t);
        if (!ctx) {
            return tl::unexpected(ctx.error());
        }
        return std::make_shared<const tls::context>(std::move(*ctx));
    };
}

// The master key when one is configured. The error names where it came from, never its bytes.
tl::expected<std::optional<fleet::master_key>, std::string>
master_key_for(const fleet::secret_sources& sources, const std::optional<std::string>& file)
{
    auto key = fleet::load_master_key(sources, file ? std::optional<std::string_view>(*file) : std::nullopt);
    if (!key) {
        return tl::unexpected(std::string(key.error().describe()) + " (from " +
                              (sources.env(fleet::master_key_env) ? std::string(fleet::master_key_env)
                                                                  : "--key-file " + file.value_or("")) +
                              ")");
    }
    return std::move(*key);
}

int run_secret(args_t args)
{
    if (args.size() < 2 || args[1] == "-h" || args[1] == "--help") {
        std::fputs(secret_usage.data(), args.size() < 2 ? stderr : stdout);
        return args.size() < 2 ? exit_usage : exit_ok;
    }
    const std::string_view verb = args[1];
    if (verb == "genkey" || verb == "keygen") {
        auto key = fleet::generate_master_key();
        if (!key) {
            return usage_error("cannot generate a key: " + std::string(key.error().describe()));
        }
        std::printf("%s\n", fleet::master_key_text(*key).c_str());
        return exit_ok;
    }
    if (verb != "encrypt" && verb != "decrypt") {
        return usage_error("secret: unknown action '" + std::string(verb) + "' (genkey, encrypt, decrypt)");
    }
    std::optional<std::string> key_file;
    std::optional<std::string> value;
    for (std::size_t i = 2; i < args.size(); ++i) {
        if (args[i] == "--key-file" && i + 1 < args.size()) {
            key_file = std::string(args[++i]);
        } else if (!value && !args[i].starts_with("--")) {
            value = std::string(args[i]);
        } else {
            return usage_error("secret " + std::string(verb) + ": unexpected argument '" +
                               std::string(args[i]) + "'");
        }
    }
    const auto sources = fleet::process_secret_sources();
    auto key = master_key_for(sources, key_file);
    if (!key) {
        return usage_error("secret " + std::string(verb) + ": " + key.error());
    }
    if (!*key) {
        return usage_error("secret " + std::string(verb) +
                           ": no master key: set WSPROBE_MASTER_KEY or give --key-file");
    }
    if (!value) {
        value.emplace(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
        while (!value->empty() && (value->back() == '\n' || value->back() == '\r')) {
            value->pop_back();
        }
    }
    auto out = verb == "encrypt" ? fleet::seal_secret(*value, **key) : fleet::open_secret(*value, **key);
    if (!out) {
        return usage_error("secret " + std::string(verb) + ": " + std::string(out.error().describe()));
    }
    std::fwrite(out->data(), 1, out->size(), stdout);
    std::fputc('\n', stdout);
    return exit_ok;
}

// Signals the control thread waits for; blocked before any thread starts so all inherit the mask.
sigset_t control_signals()
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    return set;
}

// The next control signal within `wait`, or 0.
int next_signal(const sigset_t& set, std::chrono::milliseconds wait)
{
    timespec ts{static_cast<time_t>(wait.count() / 1000),
                static_cast<long>((wait.count() % 1000) * 1'000'000)};
    const int sig = ::sigtimedwait(&set, nullptr, &ts);
    return sig > 0 ? sig : 0;
}

void print_listening(const rt::address& a)
{
    std::string line;
    proto::json_writer w(line);
    w.begin_object().key("event").value("listening").key("address").value(a.to_string()).end_object();
    line += '\n';
    (void)::write(STDOUT_FILENO, line.data(), line.size());
}

struct fleet_session {
    fleet_options opts;
    fleet::secret_sources sources = fleet::process_secret_sources();
    std::optional<fleet::master_key> key;
    fleet::tls_factory make_tls = client_tls_factory();
    std::vector<fleet::check_ptr> running;

    tl::expected<fleet::loaded_fleet, std::string> load(bool serve) const
    {
        fleet::load_request req;
        req.path = *opts.config;
        req.shard = opts.shard;
        req.sources = &sources;
        req.key = key ? &*key : nullptr;
        req.make_tls = make_tls;
        req.checks_required = !serve;
        req.previous = &running;
        return fleet::load_fleet(req);
    }
};

void report_drops(const fleet::line_writer* out, std::uint64_t& reported)
{
    if (out == nullptr) {
        return;
    }
    const std::uint64_t dropped = out->dropped();
    if (dropped != reported) {
        std::fprintf(stderr, "wsprobe: output cannot keep up: %llu JSON lines dropped so far\n",
                     static_cast<unsigned long long>(dropped));
        reported = dropped;
    }
}

void reload(fleet_session& s, fleet::fleet_runner& runner, bool serve)
{
    auto loaded = s.load(serve);
    if (!loaded) {
        runner.count_reload(false);
        std::fprintf(stderr, "wsprobe: reload refused, the running configuration is kept:\n%s",
                     loaded.error().c_str());
        return;
    }
    runner.count_reload(true);
    runner.set_modules(loaded->modules);
    if (!serve) {
        s.running = loaded->checks;
        runner.install(std::move(loaded->checks));
    }
    std::fprintf(stderr, "wsprobe: reloaded %s: %zu unchanged, %zu changed, %zu added, %zu removed\n",
                 s.opts.config->c_str(), loaded->diff.unchanged.size(), loaded->diff.changed.size(),
                 loaded->diff.added.size(), loaded->diff.removed.size());
}

int exit_for(std::optional<proto::check_status> worst)
{
    if (!worst || *worst == proto::check_status::up) {
        return exit_ok;
    }
    return *worst == proto::check_status::degraded ? exit_degraded : exit_down;
}

int run_fleet(args_t args, bool serve)
{
    auto parsed = parse_fleet_options(args, serve);
    if (!parsed) {
        return usage_error(parsed.error());
    }
    if (parsed->help) {
        std::fputs((serve ? serve_usage : run_usage).data(), stdout);
        return exit_ok;
    }
    fleet_session s;
    s.opts = std::move(*parsed);
    auto key = master_key_for(s.sources, s.opts.key_file);
    if (!key) {
        return usage_error(key.error());
    }
    s.key = std::move(*key);
    fleet::loaded_fleet initial;
    if (s.opts.config) {
        auto loaded = s.load(serve);
        if (!loaded) {
            std::fprintf(stderr, "wsprobe: configuration refused:\n%s", loaded.error().c_str());
            return exit_usage;
        }
        initial = std::move(*loaded);
    }
    std::optional<rt::listener> listener;
    if (s.opts.listen) {
        auto addr = parse_listen(*s.opts.listen);
        if (!addr) {
            return usage_error(addr.error());
        }
        auto l = rt::listener::open(*addr, 1024);
        if (!l) {
            return usage_error("cannot listen on " + *s.opts.listen + ": " +
                               std::string(l.error().describe()));
        }
        listener.emplace(std::move(*l));
    }
    int out_fd = STDOUT_FILENO;
    if (s.opts.output != "-") {
        out_fd = ::open(s.opts.output.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (out_fd < 0) {
            return usage_error("cannot open --output " + s.opts.output);
        }
    }
    // A reader that goes away (`wsprobe run | head`) shows up as write errors and dropped lines,
    // not as a SIGPIPE that kills every check in flight.
    ::signal(SIGPIPE, SIG_IGN);
    const sigset_t sigs = control_signals();
    sigset_t old_mask;
    ::pthread_sigmask(SIG_BLOCK, &sigs, &old_mask);
    int code = exit_ok;
    {
        std::optional<fleet::line_writer> writer;
        if (!serve) {
            writer.emplace(out_fd, s.opts.queue);
        }
        // Started after the signals are blocked, so its thread inherits the mask.
        std::unique_ptr<fleet::webhook_sender> hook;
        if (s.opts.webhook) {
            std::string why;
            const auto url = fleet::parse_webhook_url(*s.opts.webhook, &why);
            if (url) {
                hook = fleet::webhook_sender::start(*url, fleet::webhook_options{}, s.opts.guard, s.opts.ssrf,
                                                    &why);
            }
            if (!hook) {
                ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
                return usage_error("option --webhook: " + why);
            }
        }
        fleet::runner_options ro;
        ro.webhook = hook.get();
        ro.threads = s.opts.threads;
        ro.ssrf_guard = s.opts.guard;
        ro.ssrf = s.opts.ssrf;
        ro.once = s.opts.once;
        ro.output = writer ? &*writer : nullptr;
        ro.http = listener ? &*listener : nullptr;
        ro.modules = initial.modules;
        ro.reactor.sq_entries = 1024;
        ro.reactor.buffer_count = 1024;
        std::string why;
        auto runner = fleet::fleet_runner::start(ro, &why);
        if (!runner) {
            ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
            return usage_error("cannot start the io_uring runtime: " +
                               (why.empty() ? std::string(runner.error().describe()) : why));
        }
        // Announced once everything that can refuse to start has started and SIGHUP/SIGTERM are
        // handled, and before install() gives the line writer results for the same stdout. The
        // /probe modules came with the runner's options; /-/ready says 503 until the checks are in.
        if (listener) {
            print_listening(listener->local());
        }
        s.running = initial.checks;
        (*runner)->install(std::move(initial.checks));
        std::uint64_t reported = 0;
        for (;;) {
            if (s.opts.once && (*runner)->wait_all_ran(0ms)) {
                code = exit_for((*runner)->worst_status());
                break;
            }
            const int sig = next_signal(sigs, s.opts.once ? 50ms : 1000ms);
            report_drops(ro.output, reported);
            if (sig == SIGHUP && s.opts.config && !s.opts.once) {
                reload(s, **runner, serve);
            } else if (sig == SIGINT || sig == SIGTERM) {
                code = s.opts.once ? exit_usage : exit_ok;
                break;
            }
        }
        (*runner)->stop();
        if (hook) {
            hook->stop();
            const fleet::webhook_counters wc = hook->counters();
            std::fprintf(
                stderr, "wsprobe: webhook: %llu delivered, %llu failed, %llu dropped, %llu retries\n",
                static_cast<unsigned long long>(wc.delivered), static_cast<unsigned long long>(wc.failed),
                static_cast<unsigned long long>(wc.dropped), static_cast<unsigned long long>(wc.retries));
        }
        if (writer) {
            writer->stop();
            report_drops(&*writer, reported);
        }
    }
    if (out_fd != STDOUT_FILENO) {
        ::close(out_fd);
    }
    ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    return code;
}

} // namespace

int run_fleet_command(std::span<const std::string_view> args)
{
    if (args[0] == "secret") {
        return run_secret(args);
    }
    return run_fleet(args, args[0] == "serve");
}

} // namespace wsp::cli
