// `wsprobe load` flag parsing: the load flags are validated here and removed, everything else
// (URL, headers, TLS, --http2, presets) goes to parse_check_options in its original order.
#include "tools/cli/load_options.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <system_error>
#include <vector>

namespace wsp::cli {
namespace {

using error_t = tl::unexpected<std::string>;

// Check flags that take a value: their value is passed on untouched even if it looks like a load
// flag (-H '--rate: 5'). A check flag missing here still works; only such a value would not.
constexpr std::array check_value_flags = {"-H",
                                          "--header",
                                          "--secret-header",
                                          "--origin",
                                          "--bearer-env",
                                          "--bearer-file",
                                          "-p",
                                          "--subprotocol",
                                          "--expect-subprotocol",
                                          "--extension",
                                          "--rtt",
                                          "--http2",
                                          "--payload",
                                          "--dns-timeout",
                                          "--connect-timeout",
                                          "--tls-timeout",
                                          "--upgrade-timeout",
                                          "--rtt-timeout",
                                          "--close-timeout",
                                          "--timeout",
                                          "--handshake-degraded",
                                          "--rtt-degraded",
                                          "--connect-degraded",
                                          "--retries",
                                          "--max-message",
                                          "--ca",
                                          "--cert",
                                          "--key",
                                          "--tls-min",
                                          "--cert-warn-days",
                                          "--app",
                                          "--realm",
                                          "--topic",
                                          "--client-id",
                                          "--username",
                                          "--init-payload",
                                          "--password-env",
                                          "--password-file",
                                          "--mqtt-version",
                                          "--keep-alive",
                                          "--send",
                                          "--expect-contains",
                                          "--expect-regex",
                                          "--expect-json",
                                          "--expect-equals",
                                          "--script",
                                          "--expect-close",
                                          "--app-init-timeout",
                                          "--app-init-degraded"};

constexpr std::array load_value_flags = {"-c",         "--connections",   "--rate",         "--ramp",
                                         "--duration", "--ping-interval", "--message-rate", "--threads",
                                         "--source",   "--slo",           "--slo-step",     "--report"};

constexpr double max_seconds = 7 * 86400.0;

template <std::size_t N> bool one_of(const std::array<const char*, N>& set, std::string_view a)
{
    return std::any_of(set.begin(), set.end(), [a](const char* f) { return a == f; });
}

// A plain non-negative decimal: digits with at most one '.', no sign, exponent, hex, inf or nan.
std::optional<double> decimal(std::string_view s)
{
    if (s.empty() || s.front() == '.' || s.back() == '.' || std::count(s.begin(), s.end(), '.') > 1 ||
        !std::all_of(s.begin(), s.end(), [](char c) { return c == '.' || (c >= '0' && c <= '9'); })) {
        return std::nullopt;
    }
    double v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc{} || r.ptr != s.data() + s.size() || !std::isfinite(v)) {
        return std::nullopt;
    }
    return v;
}

// "500ms", "30s", "1.5m", "2h" in seconds; a unit is required so "--duration 30" is not 30 ms.
std::optional<double> duration_seconds(std::string_view s)
{
    double scale = 0;
    if (s.ends_with("ms")) {
        scale = 1e-3;
        s.remove_suffix(2);
    } else if (s.ends_with("s")) {
        scale = 1;
        s.remove_suffix(1);
    } else if (s.ends_with("m")) {
        scale = 60;
        s.remove_suffix(1);
    } else if (s.ends_with("h")) {
        scale = 3600;
        s.remove_suffix(1);
    } else {
        return std::nullopt;
    }
    const auto v = decimal(s);
    if (!v || *v * scale > max_seconds) {
        return std::nullopt;
    }
    return *v * scale;
}

std::string quote(std::string_view v)
{
    return "'" + std::string(v) + "'";
}

std::string bad_value(std::string_view flag, std::string_view v, std::string_view what)
{
    return "option " + std::string(flag) + ": " + quote(v) + " is not " + std::string(what);
}

std::optional<std::uint32_t> ipv4(std::string_view text)
{
    const std::string s(text);
    in_addr a{};
    if (::inet_pton(AF_INET, s.c_str(), &a) != 1) {
        return std::nullopt;
    }
    return ntohl(a.s_addr);
}

bool is_loopback_v4(std::uint32_t ip)
{
    return (ip >> 24) == 127;
}

// A source must be an address this host can own: not the unspecified address, multicast or
// broadcast (RFC 1122 §3.2.1.3, RFC 4291 §2.7).
tl::expected<rt::address, std::string> one_source(std::string_view text)
{
    auto a = rt::address::parse(text, 0);
    if (!a) {
        return error_t(quote(text) + " is not an IPv4 or IPv6 address");
    }
    if (a->family() == AF_INET) {
        const auto ip = *ipv4(text);
        if (ip == 0 || ip == 0xffffffffu || (ip >> 28) == 0xe) {
            return error_t(quote(text) +
                           " cannot be a local source address (unspecified, broadcast or multicast)");
        }
    } else {
        const auto* v6 = reinterpret_cast<const sockaddr_in6*>(a->data());
        if (IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr) || IN6_IS_ADDR_MULTICAST(&v6->sin6_addr)) {
            return error_t(quote(text) + " cannot be a local source address (unspecified or multicast)");
        }
    }
    return *a;
}

tl::expected<void, std::string> add_range(std::vector<rt::address>& out, std::string_view item)
{
    const auto dash = item.find('-');
    const auto lo_text = item.substr(0, dash);
    const auto hi_text = item.substr(dash + 1);
    const auto lo = ipv4(lo_text);
    const auto hi = ipv4(hi_text);
    if (!lo || !hi) {
        return error_t(quote(item) + " is not an IPv4 range like 127.0.0.2-127.0.0.60 (IPv6 sources are "
                                     "single addresses, listed with commas)");
    }
    if (*hi < *lo) {
        return error_t("range " + quote(item) + " is reversed: " + std::string(hi_text) + " comes before " +
                       std::string(lo_text));
    }
    if (*hi - *lo >= 65536) {
        return error_t("range " + quote(item) + " spans more than 65536 addresses");
    }
    if (is_loopback_v4(*lo) != is_loopback_v4(*hi)) {
        return error_t("range " + quote(item) + " crosses the loopback block 127.0.0.0/8");
    }
    for (std::uint64_t ip = *lo; ip <= *hi; ++ip) {
        in_addr x{};
        x.s_addr = htonl(static_cast<std::uint32_t>(ip));
        char buf[INET_ADDRSTRLEN] = {};
        ::inet_ntop(AF_INET, &x, buf, sizeof buf);
        auto a = one_source(buf);
        if (!a) {
            return error_t("range " + quote(item) + ": " + a.error());
        }
        out.push_back(*a);
    }
    return {};
}

tl::expected<void, std::string> check_report_path(const std::string& path)
{
    namespace fs = std::filesystem;
    if (path.empty()) {
        return error_t("option --report needs a file name");
    }
    std::error_code ec;
    const fs::path p(path);
    if (fs::is_directory(p, ec)) {
        return error_t("option --report: " + quote(path) +
                       " is a directory; give a file name such as report.html");
    }
    const auto dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
    if (!fs::is_directory(dir, ec)) {
        return error_t("option --report: directory " + quote(dir.string()) + " does not exist");
    }
    return {};
}

std::string seconds_text(double s)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%gs", s);
    return buf;
}

// Cross-flag rules, once every flag is known.
tl::expected<void, std::string> check_combination(const load::load_options& o, bool slo_step_given)
{
    if (o.hold_s && *o.hold_s > o.duration_s) {
        return error_t("option --hold: " + seconds_text(*o.hold_s) + " is longer than the run (--duration " +
                       seconds_text(o.duration_s) + ")");
    }
    if (o.ramp_s > o.duration_s) {
        return error_t("option --ramp: the ramp (" + seconds_text(o.ramp_s) +
                       ") is longer than the run (--duration " + seconds_text(o.duration_s) + ")");
    }
    if (o.ramp_s > 0 && o.rate == 0) {
        return error_t("option --ramp needs --rate (the rate to ramp up to)");
    }
    if (slo_step_given && !o.slo) {
        return error_t("option --slo-step needs --slo");
    }
    if (o.preset_messages && !o.spec.app) {
        return error_t("option --preset-messages needs --app NAME (the preset whose message to send)");
    }
    // MQTT 3.1.1 §3.1.4 (and 5.0): a second CONNECT with a client id in use disconnects the first.
    if (o.connections > 1 && o.spec.app && !o.spec.app->options.client_id.empty()) {
        return error_t(
            "option --client-id: every connection would use the same MQTT client identifier, and "
            "the broker disconnects the earlier session for each new one (leave it out: the broker "
            "assigns one per connection)");
    }
    return {};
}

} // namespace

tl::expected<std::vector<rt::address>, std::string> parse_sources(std::string_view text)
{
    std::vector<rt::address> out;
    if (text.empty()) {
        return error_t("no address given");
    }
    while (true) {
        const auto comma = text.find(',');
        const auto item = text.substr(0, comma);
        if (item.empty()) {
            return error_t("an empty entry in the list (two commas, or one at an end)");
        }
        // '-' separates a range; IPv6 literals contain no '-'.
        if (item.find('-') != std::string_view::npos) {
            if (auto r = add_range(out, item); !r) {
                return error_t(r.error());
            }
        } else {
            auto a = one_source(item);
            if (!a) {
                return error_t(a.error());
            }
            out.push_back(*a);
        }
        if (comma == std::string_view::npos) {
            break;
        }
        text.remove_prefix(comma + 1);
    }
    if (out.size() > 65536) {
        return error_t("more than 65536 addresses in all");
    }
    return out;
}

tl::expected<load_cli, std::string> parse_load_options(std::span<const std::string_view> args,
                                                       const environment& env)
{
    load_cli c;
    auto& o = c.options;
    std::vector<std::string_view> check_args;
    bool slo_step_given = false;
    bool quiet = false;
    bool progress = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view a = args[i];
        std::optional<std::string_view> inline_value;
        if (a.starts_with("--") && a.find('=') != std::string_view::npos) {
            inline_value = a.substr(a.find('=') + 1);
            a = a.substr(0, a.find('='));
        }
        if (one_of(check_value_flags, a)) {
            check_args.push_back(args[i]);
            if (!inline_value && i + 1 < args.size()) {
                check_args.push_back(args[++i]);
            }
            continue;
        }
        std::string_view v;
        if (one_of(load_value_flags, a)) {
            if (inline_value) {
                v = *inline_value;
            } else if (i + 1 < args.size()) {
                v = args[++i];
            } else {
                return error_t("option " + std::string(a) + " needs a value");
            }
        }
        if (a == "-h" || a == "--help") {
            c = load_cli{};
            c.help = true;
            return c;
        } else if (a == "--json") {
            c.json = true;
        } else if (a == "--quiet" || a == "-q") {
            quiet = true;
        } else if (a == "--progress") {
            progress = true;
        } else if (a == "--preset-messages") {
            o.preset_messages = true;
        } else if (a == "-c" || a == "--connections") {
            std::uint64_t n = 0;
            const auto r = std::from_chars(v.data(), v.data() + v.size(), n);
            if (v.empty() || r.ec != std::errc{} || r.ptr != v.data() + v.size() || n == 0 ||
                n > 100'000'000) {
                return error_t(bad_value(a, v, "a number of connections from 1 to 100000000"));
            }
            o.connections = n;
        } else if (a == "--rate" || a == "--message-rate") {
            const auto r = decimal(v);
            if (!r || *r > 1e7) {
                return error_t(bad_value(a, v, "a rate per second from 0 to 10000000 (e.g. 500 or 0.5)"));
            }
            (a == "--rate" ? o.rate : o.message_rate) = *r;
        } else if (a == "--ramp" || a == "--duration" || a == "--ping-interval" || a == "--slo-step") {
            const auto s = duration_seconds(v);
            if (!s || (a != "--ramp" && *s <= 0)) {
                return error_t(bad_value(a, v,
                                         a == "--ramp"
                                             ? "a duration with a unit (e.g. 10s, 2m)"
                                             : "a positive duration with a unit (e.g. 500ms, 30s, 5m)"));
            }
            (a == "--ramp"       ? o.ramp_s
             : a == "--duration" ? o.duration_s
             : a == "--slo-step" ? o.slo_step_s
                                 : o.ping_interval_s) = *s;
            slo_step_given = slo_step_given || a == "--slo-step";
        } else if (a == "--hold") {
            // The value is optional: taken when it is a duration (a URL or a flag never is).
            std::optional<std::string_view> hv = inline_value;
            if (!hv && i + 1 < args.size() && duration_seconds(args[i + 1])) {
                hv = args[++i];
            }
            if (hv) {
                const auto s = duration_seconds(*hv);
                if (!s || *s <= 0) {
                    return error_t(bad_value(a, *hv, "a positive duration with a unit (e.g. 30s)"));
                }
                o.hold_s = *s;
            } else {
                o.hold_s.reset();
            }
        } else if (a == "--threads") {
            unsigned n = 0;
            const auto r = std::from_chars(v.data(), v.data() + v.size(), n);
            if (v.empty() || r.ec != std::errc{} || r.ptr != v.data() + v.size() || n == 0 || n > 1024) {
                return error_t(bad_value(a, v, "a number of threads from 1 to 1024"));
            }
            o.threads = n;
        } else if (a == "--source") {
            auto s = parse_sources(v);
            if (!s) {
                return error_t("option --source: " + s.error());
            }
            o.sources = std::move(*s);
        } else if (a == "--slo") {
            std::string why;
            auto s = load::parse_slo(v, &why);
            if (!s) {
                return error_t("option --slo: " + why);
            }
            o.slo = std::move(*s);
        } else if (a == "--report") {
            if (auto r = check_report_path(std::string(v)); !r) {
                return error_t(r.error());
            }
            c.report = std::string(v);
        } else if (a == "--compare-transports" || a == "--h2-streams") {
            return error_t("option " + std::string(a) + " is for wsprobe check, not load");
        } else {
            check_args.push_back(args[i]);
        }
    }
    if (quiet && progress) {
        return error_t("options --quiet and --progress contradict each other");
    }
    c.progress = quiet ? progress_mode::never : progress ? progress_mode::always : progress_mode::automatic;
    auto check = parse_check_options(check_args, env);
    if (!check) {
        std::string e = check.error();
        // The check parser's hints name `wsprobe check`; the user typed `wsprobe load`.
        if (const auto at = e.find("wsprobe check"); at != std::string::npos) {
            e.replace(at, 13, "wsprobe load");
        }
        return error_t(e);
    }
    o.spec = std::move(check->spec);
    o.payload = o.spec.payload;
    if (auto r = check_combination(o, slo_step_given); !r) {
        return error_t(r.error());
    }
    return c;
}

std::string_view load_usage()
{
    return R"(usage: wsprobe load URL [options] [check options]

Opens connections to URL at scheduled times (open loop: latency counts from the scheduled start,
so a slow server cannot slow the arrivals down), validates each exactly as `wsprobe check` does,
holds it, and reports latency percentiles (connect, tls, upgrade, established, rtt), failures by
phase and code, and connections the server dropped, by close code.

Load (durations need a unit: 500ms, 30s, 5m, 1h):
  -c, --connections N   connections to open in all (default 100)
  --rate R              arrivals per second (default 0: as fast as the engine goes)
  --ramp DUR            rise linearly from 0 to --rate over DUR
  --duration DUR        the whole run, arrivals included (default 10s)
  --hold [DUR]          keep each connection DUR; without a value, until the end of the run
  --ping-interval DUR   ping every held connection each DUR (pong round trips are rtt)
  --message-rate R      send R messages per second per connection (--payload, echo timed)
  --payload TEXT        the message sent at --message-rate (default "wsprobe")
  --preset-messages     send the --app preset's RTT message instead of --payload
  --threads N           reactors (default one per core; more when a ring's descriptor table
                        cannot hold its share of -c)
  --source A[-B][,..]   spread connections over local addresses: an IPv4 range
                        (127.0.0.2-127.0.0.60), single IPv4/IPv6 addresses, comma-separated
  --slo SPEC            capacity search: steps of rising rate until SPEC breaks, e.g.
                        'upgrade_p99<250ms' (connect|tls|upgrade|established|rtt, p50..p99.9,
                        us|ms|s)
  --slo-step DUR        length of each --slo step (default 5s)

Output:
  --json                print the summary as one JSON object (docs/json-load.md)
  --report FILE         also write a self-contained HTML report with charts
  --progress            print the progress line each second even when stderr is not a terminal
  -q, --quiet           no progress line
  -h, --help            this text

Every `wsprobe check` option applies to each connection (-H, --subprotocol, --ca, -k, --http2,
--app, timeouts, ...); see wsprobe check --help.

Exit codes: 0 every connection succeeded, was held and closed cleanly (and --slo found a level
that held), 1 some connections failed, were dropped or did not finish the close handshake (or
the run was interrupted, or no --slo level held),
2 no connection succeeded, 3 usage or internal error.
)";
}

} // namespace wsp::cli
