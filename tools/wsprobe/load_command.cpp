// `wsprobe load`: flags (load flags here, every check flag through parse_check_options), the
// live progress line, the summary, --json and --report, and the exit code.
#include "tools/wsprobe/load_command.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "engine/load/driver.h"
#include "engine/load/report.h"
#include "tools/cli/check_options.h"
#include "tools/cli/tls_context.h"

namespace wsp::cli {
namespace {

constexpr std::string_view load_usage = R"(usage: wsprobe load URL [options] [check options]

Opens connections to URL at scheduled times (open loop: latency counts from the scheduled start,
so a slow server cannot slow the arrivals down), validates each exactly as `wsprobe check` does,
holds it until the run ends, and reports latency percentiles, failures by phase and code, and
connections the server dropped, by close code.

  -c N                  connections to open in all (default 100)
  --rate R              arrivals per second (default 0: as fast as the engine goes)
  --ramp D              rise linearly to --rate over D (e.g. 10s)
  --duration D          the whole run, arrivals included (default 10s)
  --hold[=D]            keep each connection D (default: until the end of the run)
  --ping-interval D     ping every held connection each D (pong round trips are rtt)
  --message-rate R      send R messages per second per connection (--payload, echo timed)
  --preset-messages     send the --app preset's RTT request as the message (its reply is timed)
  --threads N           reactors (default one per core; more when a ring's descriptor table
                        cannot hold its share of -c)
  --source A[-B]        spread connections over local addresses A..B (IPv4 range or one address)
  --slo SPEC            capacity search: steps of rising rate until SPEC breaks, e.g.
                        'upgrade_p99<250ms' (metrics: connect, tls, upgrade, established, rtt)
  --slo-step D          length of each --slo step (default 5s)
  --json                print the summary as JSON
  --report FILE         write a self-contained HTML report
  --progress            print the progress line even when stderr is not a terminal
  -h, --help            this text

Every `wsprobe check` option applies to each connection (--http2, -H, --subprotocol, --ca, ...);
see wsprobe check --help.

Exit codes: 0 every connection succeeded and was held (and --slo found a level that held),
1 some connections failed or were dropped (or the run was interrupted, or no --slo level held),
2 no connection succeeded, 3 usage or internal error.
)";

struct load_cli {
    load::load_options opts;
    bool json = false;
    bool progress = false;
    bool help = false;
    std::optional<std::string> report;
};

using parse_result = tl::expected<load_cli, std::string>;

std::optional<double> seconds_of(std::string_view text)
{
    auto d = parse_duration(text);
    if (!d) {
        return std::nullopt;
    }
    return static_cast<double>(d->count()) / 1000.0;
}

std::optional<double> number_of(std::string_view text)
{
    double v = 0;
    const auto* end = text.data() + text.size();
    const auto r = std::from_chars(text.data(), end, v);
    if (r.ec != std::errc{} || r.ptr != end || !std::isfinite(v) || v < 0) {
        return std::nullopt;
    }
    return v;
}

// "127.0.0.2-127.0.0.60" (inclusive IPv4 range) or one IPv4/IPv6 address.
tl::expected<std::vector<rt::address>, std::string> parse_sources(std::string_view text)
{
    std::vector<rt::address> out;
    const auto dash = text.find('-');
    if (dash == std::string_view::npos) {
        auto a = rt::address::parse(text, 0);
        if (!a) {
            return tl::unexpected("'" + std::string(text) + "' is not an IP address");
        }
        out.push_back(*a);
        return out;
    }
    const std::string lo(text.substr(0, dash));
    const std::string hi(text.substr(dash + 1));
    in_addr a{};
    in_addr b{};
    if (::inet_pton(AF_INET, lo.c_str(), &a) != 1 || ::inet_pton(AF_INET, hi.c_str(), &b) != 1) {
        return tl::unexpected("'" + std::string(text) + "' is not an IPv4 range like 127.0.0.2-127.0.0.60");
    }
    const std::uint32_t first = ntohl(a.s_addr);
    const std::uint32_t last = ntohl(b.s_addr);
    if (last < first || last - first >= 65536) {
        return tl::unexpected("'" + std::string(text) + "' must go upwards and span at most 65536 addresses");
    }
    for (std::uint32_t ip = first; ip <= last; ++ip) {
        in_addr x{};
        x.s_addr = htonl(ip);
        char buf[INET_ADDRSTRLEN] = {};
        ::inet_ntop(AF_INET, &x, buf, sizeof(buf));
        out.push_back(*rt::address::parse(buf, 0));
    }
    return out;
}

parse_result parse_load(std::span<const std::string_view> args)
{
    load_cli c;
    std::vector<std::string_view> check_args;
    const auto bad = [](std::string_view flag, std::string_view v, std::string_view what) {
        return tl::unexpected("option " + std::string(flag) + ": '" + std::string(v) + "' is not " + std::string(what));
    };
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view a = args[i];
        std::optional<std::string_view> inline_value;
        if (a.starts_with("--") && a.find('=') != std::string_view::npos) {
            inline_value = a.substr(a.find('=') + 1);
            a = a.substr(0, a.find('='));
        }
        const bool takes_value = a == "-c" || a == "--rate" || a == "--ramp" || a == "--duration" ||
                                 a == "--ping-interval" || a == "--message-rate" || a == "--threads" ||
                                 a == "--source" || a == "--slo" || a == "--slo-step" || a == "--report";
        std::string_view v;
        if (takes_value) {
            if (inline_value) {
                v = *inline_value;
            } else if (i + 1 < args.size()) {
                v = args[++i];
            } else {
                return tl::unexpected("option " + std::string(a) + " needs a value");
            }
        }
        if (a == "-h" || a == "--help") {
            c.help = true;
            return c;
        }
        if (a == "--json") {
            c.json = true;
        } else if (a == "--progress") {
            c.progress = true;
        } else if (a == "--preset-messages") {
            c.opts.preset_messages = true;
        } else if (a == "--hold") {
            if (inline_value) {
                auto s = seconds_of(*inline_value);
                if (!s || *s <= 0) {
                    return bad(a, *inline_value, "a positive duration (e.g. 30s)");
                }
                c.opts.hold_s = *s;
            }
        } else if (a == "-c") {
            auto n = number_of(v);
            if (!n || *n < 1 || *n != std::floor(*n) || *n > 1e8) {
                return bad(a, v, "a whole number of connections from 1");
            }
            c.opts.connections = static_cast<std::uint64_t>(*n);
        } else if (a == "--rate" || a == "--message-rate") {
            auto n = number_of(v);
            if (!n) {
                return bad(a, v, "a rate per second (e.g. 500 or 0.5)");
            }
            (a == "--rate" ? c.opts.rate : c.opts.message_rate) = *n;
        } else if (a == "--ramp" || a == "--duration" || a == "--ping-interval" || a == "--slo-step") {
            auto s = seconds_of(v);
            if (!s || (a != "--ramp" && *s <= 0)) {
                return bad(a, v, "a positive duration (e.g. 500ms or 30s)");
            }
            double& target = a == "--ramp"       ? c.opts.ramp_s
                             : a == "--duration" ? c.opts.duration_s
                             : a == "--slo-step" ? c.opts.slo_step_s
                                                 : c.opts.ping_interval_s;
            target = *s;
        } else if (a == "--threads") {
            auto n = number_of(v);
            if (!n || *n < 1 || *n > 1024 || *n != std::floor(*n)) {
                return bad(a, v, "a number of reactors from 1 to 1024");
            }
            c.opts.threads = static_cast<unsigned>(*n);
        } else if (a == "--source") {
            auto s = parse_sources(v);
            if (!s) {
                return tl::unexpected("option --source: " + s.error());
            }
            c.opts.sources = std::move(*s);
        } else if (a == "--slo") {
            std::string why;
            auto s = load::parse_slo(v, &why);
            if (!s) {
                return tl::unexpected("option --slo: " + why);
            }
            c.opts.slo = std::move(*s);
        } else if (a == "--report") {
            c.report = std::string(v);
        } else {
            check_args.push_back(args[i]);
        }
    }
    auto check = parse_check_options(check_args, environment::system());
    if (!check) {
        return tl::unexpected(check.error());
    }
    if (check->help) {
        c.help = true;
        return c;
    }
    if (check->compare_transports) {
        return tl::unexpected(std::string("option --compare-transports is for wsprobe check, not load"));
    }
    c.opts.spec = std::move(check->spec);
    c.opts.payload = c.opts.spec.payload;
    return c;
}

int exit_code_of(const load::run_report& r)
{
    const auto& t = r.stats.counts;
    if (t.succeeded == 0 && !r.slo) {
        return load_exit_none;
    }
    if (r.slo) {
        return r.slo->highest_rate_held && !r.interrupted ? load_exit_ok : load_exit_partial;
    }
    if (t.failed > 0 || t.dropped > 0 || r.interrupted) {
        return load_exit_partial;
    }
    return load_exit_ok;
}

} // namespace

int run_load_command(std::span<const std::string_view> args)
{
    auto parsed = parse_load(args);
    if (!parsed) {
        std::fprintf(stderr, "wsprobe load: %s\n", parsed.error().c_str());
        return load_exit_usage;
    }
    if (parsed->help) {
        std::fputs(load_usage.data(), stdout);
        return load_exit_ok;
    }
    load_cli& c = *parsed;
    std::optional<tls::context> tls_ctx;
    if (c.opts.spec.url.secure) {
        auto ctx = make_client_tls_context(c.opts.spec.tls);
        if (!ctx) {
            std::fprintf(stderr, "wsprobe load: %s\n", ctx.error().c_str());
            return load_exit_usage;
        }
        tls_ctx.emplace(std::move(*ctx));
        c.opts.tls = &*tls_ctx;
    }
    const bool tty = ::isatty(STDERR_FILENO) == 1;
    load::progress_fn progress;
    if (tty || c.progress) {
        progress = [tty](const load::sample& s, std::uint64_t errors) {
            const std::string line = load::progress_line(s, errors);
            if (tty) {
                std::fprintf(stderr, "\r\033[K%s", line.c_str());
            } else {
                std::fprintf(stderr, "%s\n", line.c_str());
            }
            std::fflush(stderr);
        };
    }
    std::string why;
    auto report = load::run_load(c.opts, progress, &why);
    if (tty && progress) {
        std::fputs("\n", stderr);
    }
    if (!report) {
        std::fprintf(stderr, "wsprobe load: %s\n", why.empty() ? std::string(report.error().describe()).c_str() : why.c_str());
        return load_exit_usage;
    }
    const std::string out = c.json ? load::summary_json(*report) + "\n" : load::summary_text(*report);
    std::fputs(out.c_str(), stdout);
    std::fflush(stdout);
    if (c.report) {
        std::ofstream f(*c.report, std::ios::binary | std::ios::trunc);
        f << load::report_html(*report);
        if (!f) {
            std::fprintf(stderr, "wsprobe load: cannot write the report to %s\n", c.report->c_str());
            return load_exit_usage;
        }
    }
    return exit_code_of(*report);
}

} // namespace wsp::cli
