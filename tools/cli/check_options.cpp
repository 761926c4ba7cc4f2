// `wsprobe check` flag parsing: every flag validated here, so the probe only sees sane specs.
#include "tools/cli/check_options.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace wsp::cli {
namespace {

using proto::millis;
using error_t = tl::unexpected<std::string>;

std::string lower(std::string_view s)
{
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

// Headers whose values are credentials: never printed.
bool secret_by_name(std::string_view name)
{
    const auto n = lower(name);
    return n == "authorization" || n == "cookie" || n == "proxy-authorization" || n == "x-api-key" ||
           n == "x-auth-token" || n == "sec-websocket-key";
}

tl::expected<proto::header_field, std::string> parse_header(std::string_view text, bool secret)
{
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0) {
        return error_t("header '" + std::string(text.substr(0, text.find(':'))) +
                       "' must look like 'Name: value'");
    }
    proto::header_field h;
    h.name = std::string(trim(text.substr(0, colon)));
    h.value = std::string(trim(text.substr(colon + 1)));
    h.secret = secret || secret_by_name(h.name);
    if (h.name.empty()) {
        return error_t("header must look like 'Name: value'");
    }
    return h;
}

// --h2-streams: a browser rarely opens more WebSockets to one origin; servers commonly allow 100
// concurrent streams (RFC 9113 §6.5.2 recommends no fewer).
constexpr unsigned max_h2_streams = 100;

std::optional<unsigned> parse_unsigned(std::string_view s, unsigned max)
{
    unsigned v = 0;
    const auto* end = s.data() + s.size();
    const auto r = std::from_chars(s.data(), end, v);
    if (s.empty() || r.ec != std::errc{} || r.ptr != end || v > max) {
        return std::nullopt;
    }
    return v;
}

struct flag_reader {
    std::span<const std::string_view> args;
    std::size_t i = 0;
    std::string_view flag;
    std::optional<std::string_view> inline_value; // --flag=value

    bool done() const { return i >= args.size(); }
    std::string_view next() { return args[i++]; }
    tl::expected<std::string_view, std::string> value()
    {
        if (inline_value) {
            return *inline_value;
        }
        if (done()) {
            return error_t("option " + std::string(flag) + " needs a value");
        }
        return next();
    }
};

} // namespace

environment environment::system()
{
    environment env;
    env.getenv = [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        if (v == nullptr) {
            return std::nullopt;
        }
        return std::string(v);
    };
    env.read_file = [](const std::string& path) -> tl::expected<std::string, std::string> {
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            return error_t("cannot read file '" + path + "'");
        }
        std::ostringstream ss;
        ss << in.rdbuf();
        return ss.str();
    };
    return env;
}

std::optional<millis> parse_duration(std::string_view text)
{
    double scale = 1.0;
    std::string_view num = text;
    if (num.ends_with("ms")) {
        num.remove_suffix(2);
    } else if (num.ends_with("s")) {
        num.remove_suffix(1);
        scale = 1000.0;
    }
    if (num.empty() || num.front() == '-' || num.front() == '+') {
        return std::nullopt;
    }
    double v = 0;
    const auto* end = num.data() + num.size();
    const auto r = std::from_chars(num.data(), end, v);
    if (r.ec != std::errc{} || r.ptr != end || !(v >= 0) || v * scale > 86'400'000.0) {
        return std::nullopt;
    }
    return millis{static_cast<std::int64_t>(v * scale + 0.5)};
}

tl::expected<check_options, std::string> parse_check_options(std::span<const std::string_view> args,
                                                             const environment& env)
{
    check_options o;
    std::optional<std::string_view> url_text;
    flag_reader rd{args, 0, {}, std::nullopt};
    auto& spec = o.spec;
    auto& t = spec.timeouts;
    auto& th = spec.thresholds;

    const auto app_opts = [&]() -> proto::app_spec& {
        if (!spec.app) {
            spec.app.emplace();
        }
        return *spec.app;
    };
    const proto::assertion::file_reader file_reader = [&env](std::string_view path) {
        return env.read_file(std::string(path));
    };
    bool rtt_given = false;
    bool http2_given = false;
    const auto duration_flag = [&](millis& target) -> tl::expected<void, std::string> {
        auto v = rd.value();
        if (!v) {
            return error_t(v.error());
        }
        auto d = parse_duration(*v);
        if (!d) {
            return error_t("option " + std::string(rd.flag) + ": '" + std::string(*v) +
                           "' is not a duration (use e.g. 500, 500ms or 2s)");
        }
        target = *d;
        return {};
    };

    while (!rd.done()) {
        std::string_view a = rd.next();
        rd.inline_value.reset();
        if (a.starts_with("--") && a.find('=') != std::string_view::npos) {
            rd.inline_value = a.substr(a.find('=') + 1);
            a = a.substr(0, a.find('='));
        }
        rd.flag = a;
        tl::expected<void, std::string> step;
        if (a == "-h" || a == "--help") {
            o.help = true;
            return o;
        } else if (a == "--json") {
            o.json = true;
        } else if (a == "-v" || a == "--verbose") {
            o.verbose = true;
        } else if (a == "--color" || a == "--colour") {
            o.color = color_mode::always;
        } else if (a == "--no-color" || a == "--no-colour") {
            o.color = color_mode::never;
        } else if (a == "-H" || a == "--header" || a == "--secret-header") {
            auto v = rd.value();
            if (!v) {
                return error_t(v.error());
            }
            auto h = parse_header(*v, a == "--secret-header");
            if (!h) {
                return error_t("option " + std::string(a) + ": " + h.error());
            }
            spec.headers.push_back(std::move(*h));
        } else if (a == "--origin") {
            auto v = rd.value();
            if (!v) {
                return error_t(v.error());
            }
            spec.origin = std::string(*v);
        } else if (a == "--bearer-env" || a == "--bearer-file") {
            auto v = rd.value();
            if (!v) {
                return error_t(v.error());
            }
            std::string token;
            if (a == "--bearer-env") {
                auto e = env.getenv(std::string(*v));
                if (!e || e->empty()) {
                    return error_t("option --bearer-env: environment variable " + std::string(*v) +
                                   " is not set or empty");
                }
                token = *e;
            } else {
                auto f = env.read_file(std::string(*v));
                if (!f) {
                    return error_t("option --bearer-file: " + f.error());
                }
                token = std::string(trim(*f));
                if (token.empty()) {
                    return error_t("option --bearer-file: file '" + std::string(*v) + "' is empty");
                }
            }
            spec.headers.push_back({"Authorization", "Bearer " + token, true});
        } else if (a == "--subprotocol" || a == "-p") {
            auto v = rd.value();
            if (!v) {
                return error_t(v.error());
            }
            spec.subprotocols.emplace_back(*v);
        } else if (a == "--expect-subprotocol") {
            auto v = rd.value();
            if (!v) {
                return error_t(v.error());
            }
            spec.expect_subprotocol = std::string(*v);
        } else if (a == "--extension") {
            auto v = rd.value();
            if (!v) {
                return error_t(v.error());
            }
            spec.extensions.emplace_back(*v);
        } else if (a == "--rtt") {
            auto v = rd.value();
            if (!v) {
                return error_t(v.error());
            }
            if (*v == "none") {
                spec.rtt = proto::rtt_mode::none;
            } else if (*v == "echo") {
                spec.rtt = proto::rtt_mode::echo;
            } else if (*v == "any") {
                spec.rtt = proto::rtt_mode::any;
            } else if (*v == "ping") {
                spec.rtt = proto::rtt_mode::ping;
            } else if (*v == "app") {
                spec.rtt = proto::rtt_mode::app;
            } else {
                return error_t("option --rtt: '" + std::string(*v) +
                               "' is not one of none, echo, any, ping, app");
            }
            rtt_given = true;
        } else if (a == "--http2") {
            auto v = rd.value();
            if (!v) {
                return error_t(v.error());
            }
            http2_given = true;
            if (*v == "off") {
                spec.http2 = proto::http2_mode::off;
            } else if (*v == "prefer") {
                spec.http2 = proto::http2_mode::prefer;
            } else if (*v == "require") {
                spec.http2 = proto::http2_mode::require;
            } else if (*v == "prior-knowledge") {
                spec.http2 = proto::http2_mode::prior_knowledge;
            } else {
                return error_t("option --http2: '" + std::string(*v) +
                               "' is not one of off, prefer, require, prior-knowledge");
            }
        } else if (a == "--compare-transports") {
            o.compare_transports = true;
        } else if (a == "--h2-streams") {
            auto v = rd.value();
            if (!v) {
                return error_t(v.error());
            }
            auto n = parse_unsigned(*v, max_h2_streams);
            if (!n || *n < 2) {
                return error_t("option --h2-streams: '" + std::string(*v) + "' is not a number from 2 to " +
                               std::to_string(max_h2_streams));
            }
            o.h2_streams = static_cast<std::uint32_t>(*n);
        } else if (a == "--payload") {
            auto v = rd.value();
            if (!v) {
                return error_t(v.error());
            }
            spec.payload = std::string(*v);
        } else if (a == "--binary") {
            spec.binary = true;
        } else if (a == "--dns-timeout") {
            step = duration_flag(t.dns);
        } else if (a == "--connect-timeout") {
            step = duration_flag(t.connect);
        } else if (a == "--tls-timeout") {
            step = duration_flag(t.tls);
        } else if (a == "--upgrade-timeout") {
            step = duration_flag(t.upgrade);
        } else if (a == "--rtt-timeout") {
            step = duration_flag(t.rtt);
        } else if (a == "--close-timeout") {
            step = duration_flag(t.close);
        } else if (a == "--timeout") {
            step = duration_flag(t.overall);
        } else if (a == "--handshake-degraded") {
            step = duration_flag(th.handshake_degraded);
        } else if (a == "--rtt-degraded") {
            step = duration_flag(th.rtt_degraded);
        } else if (a == "--connect-degraded") {
            millis m{};
            step = duration_flag(m);
            th.connect_degraded = m;
        } else if (a == "--retries") {
            auto v = rd.value();
            if (!v) {
                return error_t(v.error());
            }
            auto n = parse_unsigned(*v, 10);
            if (!n) {
                return error_t("option --retries: '" + std::string(*v) + "' is not a number from 0 to 10");
            }
            spec.retries = *n;
        } else if (a == "--max-message") {
            auto v = rd.value();
            if (!v) {
                return error_t(v.error());
            }
            auto n = parse_unsigned(*v, 1u << 30);
            if (!n || *n == 0) {
                return error_t("option --max-message: '" + std::string(*v) +
                               "' is not a size in bytes (1 to 2^30)");
            }
            spec.max_message_size = *n;
        } else if (a == "--ca" || a == "--cert" || a == "--key") {
            auto v = rd.value();
            if (!v) {
                return error_t(v.error());
            }
            (a == "--ca"     ? spec.tls.ca_file
             : a == "--cert" ? spec.tls.cert_file
                             : spec.tls.key_file) = std::string(*v);
        } else if (a == "-k" || a == "--insecure") {
            spec.tls.insecure = true;
        } else if (a == "--tls-min") {
            auto v = rd.value();
            if (!v) {
                return error_t(v.error());
            }
            if (*v != "1.2" && *v != "1.3") {
                return error_t("option --tls-min: '" + std::string(*v) + "' is not 1.2 or 1.3");
            }
            spec.tls.min_tls13 = *v == "1.3";
        } else if (a == "--cert-warn-days") {
            auto v = rd.value();
            if (!v) {
                return error_t(v.error());
            }
            auto n = parse_unsigned(*v, 3650);
            if (!n) {
                return error_t("option --cert-warn-days: '" + std::string(*v) +
                               "' is not a number of days (0 to 3650)");
            }
            spec.tls.cert_warn_days = *n;
        } else if (a == "--tls-resume") {
            spec.tls.resume = true;
        } else if (a == "--app") {
            auto v = rd.value();
            if (!v) {
                return error_t(v.error());
            }
            const auto* p = proto::app::find_preset(*v);
            if (p == nullptr) {
                std::string names;
                for (const auto& known : proto::app::all_presets()) {
                    names += names.empty() ? "" : ", ";
                    names += known.name;
                }
                return error_t("option --app: unknown preset '" + std::string(*v) + "' (known: " + names +
                               ")");
            }
            app_opts().preset = p;
        } else if (a == "--realm" || a == "--topic" || a == "--client-id" || a == "--username" ||
                   a == "--init-payload") {
            auto v = rd.value();
            if (!v) {
                return error_t(v.error());
            }
            auto& ao = app_opts().options;
            (a == "--realm"       ? ao.realm
             : a == "--topic"     ? ao.topic
             : a == "--client-id" ? ao.client_id
             : a == "--username"  ? ao.username
                                  : ao.init_payload_json) = std::string(*v);
        } else if (a == "--password-env" || a == "--password-file") {
            auto v = rd.value();
            if (!v) {
                return error_t(v.error());
            }
            if (a == "--password-env") {
                auto e = env.getenv(std::string(*v));
                if (!e) {
                    return error_t("option --password-env: environment variable " + std::string(*v) +
                                   " is not set");
                }
                app_opts().options.password = *e;
            } else {
                auto f = env.read_file(std::string(*v));
                if (!f) {
                    return error_t("option --password-file: " + f.error());
                }
                app_opts().options.password = std::string(trim(*f));
            }
        } else if (a == "--mqtt-version") {
            auto v = rd.value();
            if (!v) {
                return error_t(v.error());
            }
            if (*v != "3.1.1" && *v != "4" && *v != "5" && *v != "5.0") {
                return error_t("option --mqtt-version: '" + std::string(*v) + "' is not 3.1.1 (4) or 5");
            }
            app_opts().options.mqtt_version = (*v == "5" || *v == "5.0") ? 5 : 4;
        } else if (a == "--keep-alive") {
            auto v = rd.value();
            if (!v) {
                return error_t(v.error());
            }
            auto n = parse_unsigned(*v, 65535);
            if (!n) {
                return error_t("option --keep-alive: '" + std::string(*v) +
                               "' is not a number of seconds (0 to 65535)");
            }
            app_opts().options.keep_alive = static_cast<std::uint16_t>(*n);
        } else if (a == "--send") {
            auto v = rd.value();
            if (!v) {
                return error_t(v.error());
            }
            auto m = proto::assertion::parse_send(*v, spec.binary, file_reader);
            if (!m) {
                return error_t("option --send: " + m.error().sentence);
            }
            spec.steps.push_back({std::move(*m), {}});
        } else if (a == "--expect-contains" || a == "--expect-regex" || a == "--expect-json" ||
                   a == "--expect-equals") {
            auto v = rd.value();
            if (!v) {
                return error_t(v.error());
            }
            using proto::assertion::expectation;
            auto e = a == "--expect-contains" ? expectation::contains(*v)
                     : a == "--expect-regex"  ? expectation::regex(*v)
                     : a == "--expect-json"   ? expectation::json(*v)
                                              : expectation::equals(*v);
            if (!e) {
                return error_t("option " + std::string(a) + ": " + e.error().sentence);
            }
            // Expectations apply to the preceding --send; before any, to the first message.
            if (spec.steps.empty()) {
                spec.steps.push_back({std::nullopt, {}});
            }
            spec.steps.back().expect.push_back(std::move(*e));
        } else if (a == "--script") {
            auto v = rd.value();
            if (!v) {
                return error_t(v.error());
            }
            auto text = env.read_file(std::string(*v));
            if (!text) {
                return error_t("option --script: " + text.error());
            }
            auto steps = proto::assertion::parse_script(*text, file_reader);
            if (!steps) {
                return error_t("script " + std::string(*v) + ": " + steps.error().sentence);
            }
            for (auto& st : *steps) {
                spec.steps.push_back(std::move(st));
            }
        } else if (a == "--expect-close") {
            auto v = rd.value();
            if (!v) {
                return error_t(v.error());
            }
            auto codes = proto::assertion::close_code_set::parse(*v);
            if (!codes) {
                return error_t("option --expect-close: " + codes.error().sentence);
            }
            spec.expect_close = std::move(*codes);
        } else if (a == "--app-init-timeout") {
            step = duration_flag(t.app_init);
        } else if (a == "--app-init-degraded") {
            step = duration_flag(th.app_init_degraded);
        } else if (a == "-4") {
            spec.family = proto::address_family::v4;
        } else if (a == "-6") {
            spec.family = proto::address_family::v6;
        } else if (a == "--source") {
            auto v = rd.value();
            if (!v) {
                return error_t(v.error());
            }
            spec.source_address = std::string(*v);
        } else if (a.starts_with("-") && a.size() > 1) {
            return error_t("unknown option '" + std::string(a) + "' (see wsprobe check --help)");
        } else if (url_text) {
            return error_t("unexpected argument '" + std::string(a) + "': give exactly one URL");
        } else {
            url_text = a;
        }
        if (!step) {
            return error_t(step.error());
        }
    }
    if (!url_text) {
        return error_t("missing URL (e.g. wsprobe check wss://example.com/socket)");
    }
    auto url = proto::parse_ws_url(*url_text);
    if (!url) {
        return error_t(proto::describe_url_error(url.error(), *url_text));
    }
    spec.url = std::move(*url);
    if (spec.expect_subprotocol && std::find(spec.subprotocols.begin(), spec.subprotocols.end(),
                                             *spec.expect_subprotocol) == spec.subprotocols.end()) {
        spec.subprotocols.push_back(*spec.expect_subprotocol);
    }
    if (spec.app) {
        if (spec.app->preset == nullptr) {
            return error_t(
                "--realm, --topic, --client-id, --username, --password-* and --mqtt-version need --app NAME");
        }
        const auto sub = spec.app->preset->subprotocol;
        if (!sub.empty()) {
            if (std::find(spec.subprotocols.begin(), spec.subprotocols.end(), sub) ==
                spec.subprotocols.end()) {
                spec.subprotocols.emplace(spec.subprotocols.begin(), sub);
            }
            if (!spec.expect_subprotocol) {
                spec.expect_subprotocol = std::string(sub);
            }
        }
        if (!rtt_given) {
            spec.rtt = proto::rtt_mode::app;
        }
        // Validate the options now, so a bad --realm is a usage error, not a down result.
        if (auto made = spec.app->preset->make(spec.app->options); !made) {
            return error_t("option --app " + std::string(spec.app->preset->name) + ": " +
                           made.error().sentence);
        }
    }
    // The compare's second run must be HTTP/2 or down; prefer could quietly fall back to HTTP/1.1.
    if (o.compare_transports && http2_given &&
        (spec.http2 == proto::http2_mode::off || spec.http2 == proto::http2_mode::prefer)) {
        const char* why = spec.http2 == proto::http2_mode::off
                              ? "off leaves no HTTP/2 run"
                              : "prefer could fall back to HTTP/1.1 and compare it with itself";
        return error_t(std::string("option --compare-transports runs HTTP/1.1 and HTTP/2 itself: --http2 ") +
                       why + " (give no --http2, or require on wss://, prior-knowledge on ws://)");
    }
    if (o.compare_transports && spec.http2 == proto::http2_mode::off) {
        spec.http2 = spec.url.secure ? proto::http2_mode::require : proto::http2_mode::prior_knowledge;
    }
    if (o.h2_streams > 0) {
        if (o.compare_transports) {
            return error_t(
                "options --h2-streams and --compare-transports do not combine (one checks many streams "
                "on one HTTP/2 connection, the other HTTP/1.1 against HTTP/2)");
        }
        // Every stream shares the connection: no HTTP/1.1 fallback, and a retry would be a new
        // connection with all its streams.
        if (http2_given &&
            (spec.http2 == proto::http2_mode::off || spec.http2 == proto::http2_mode::prefer)) {
            return error_t(std::string("option --h2-streams needs HTTP/2 without fallback: --http2 ") +
                           (spec.http2 == proto::http2_mode::off ? "off" : "prefer") +
                           " (give no --http2, or require on wss://, prior-knowledge on ws://)");
        }
        if (spec.retries > 0) {
            return error_t(
                "option --retries does not apply to --h2-streams (the streams share one connection)");
        }
        // MQTT 3.1.1 §3.1.4 (and 5.0): a second CONNECT with a client id in use ends the first.
        if (spec.app && !spec.app->options.client_id.empty()) {
            return error_t(
                "option --client-id: every stream would use the same MQTT client identifier, and the "
                "broker disconnects the earlier session for each new one (leave it out: the broker "
                "assigns one per stream)");
        }
        if (spec.http2 == proto::http2_mode::off) {
            spec.http2 = spec.url.secure ? proto::http2_mode::require : proto::http2_mode::prior_knowledge;
        }
    }
    // RFC 8441 over TLS needs ALPN "h2" (RFC 9113 §3.2); h2c by prior knowledge is for ws:// only.
    if (spec.http2 == proto::http2_mode::require && !spec.url.secure) {
        return error_t(
            "option --http2 require needs a wss:// URL (use --http2 prior-knowledge for h2c on ws://)");
    }
    if (spec.http2 == proto::http2_mode::prior_knowledge && spec.url.secure) {
        return error_t("option --http2 prior-knowledge is for ws:// URLs (wss:// negotiates h2 with ALPN)");
    }
    spec.tls.offer_h2 = spec.url.secure &&
                        (spec.http2 == proto::http2_mode::prefer || spec.http2 == proto::http2_mode::require);
    if (spec.tls.cert_file.has_value() != spec.tls.key_file.has_value()) {
        return error_t("options --cert and --key go together (client certificate and its private key)");
    }
    if ((spec.rtt == proto::rtt_mode::ping) && spec.payload.size() > 125) {
        return error_t("option --payload: a ping payload is at most 125 bytes (RFC 6455 §5.5)");
    }
    return o;
}

std::string_view check_usage()
{
    return R"(usage: wsprobe check URL [options]

Checks a ws:// or wss:// endpoint in three phases: connect (DNS, TCP, TLS), upgrade (HTTP/1.1
GET validated as 101 with a correct Sec-WebSocket-Accept), and an optional RTT frame exchange,
then a clean close. Exit code: 0 up, 1 degraded, 2 down, 3 usage or internal error.

Request:
  -H, --header 'Name: value'   add a header (repeatable); Authorization and Cookie are secret
  --secret-header 'Name: value'  add a header whose value is never shown (<redacted>)
  --bearer-env VAR             send 'Authorization: Bearer <value of VAR>'
  --bearer-file FILE           send 'Authorization: Bearer <contents of FILE>'
  --origin URL                 send an Origin header
  -p, --subprotocol NAME       offer a subprotocol (repeatable, in order)
  --expect-subprotocol NAME    require the server to select exactly NAME (case-sensitive)
  --extension VALUE            offer a Sec-WebSocket-Extensions value
  -4, -6                       use only IPv4 or IPv6 addresses
  --source ADDR                bind to this local address before connecting

TLS (wss://):
  --ca FILE                    trust the CAs in FILE (PEM) instead of the system store
  -k, --insecure               continue despite certificate errors (they are still reported)
  --cert FILE --key FILE       client certificate and key (mTLS)
  --tls-min 1.2|1.3            lowest TLS version accepted (default 1.2)
  --cert-warn-days N           degraded when the certificate chain expires within N days (14)
  --tls-resume                 resume TLS sessions across attempts and report it
  --http2 MODE                 RFC 8441 WebSocket over HTTP/2: off (default), prefer (offer h2 by
                               ALPN, fall back to HTTP/1.1 and say why), require (h2 or down),
                               prior-knowledge (h2c on ws://)
  --compare-transports         run the check over HTTP/1.1 and over HTTP/2 (require on wss://,
                               prior-knowledge on ws://) at once and show both; down when exactly
                               one of them works (transports_disagree)
  --h2-streams N               run N probes (2 to 100) as N extended CONNECT streams on one
                               HTTP/2 connection, as browsers share one among an origin's
                               WebSockets (HTTP/2 as for --compare-transports; no fallback,
                               no retries); down when any stream is, with a row per stream

App protocols:
  --app NAME                   speak NAME after the 101 and time its init as phase app_init:
                               graphql-transport-ws, graphql-ws, mqtt, wamp, signalr, phoenix,
                               socketio, actioncable (sets the subprotocol to offer and assert,
                               and --rtt app: the protocol's own ping, or a WebSocket ping)
  --realm R (wamp), --topic T (phoenix join, socket.io namespace), --init-payload JSON
  --client-id ID, --username U, --password-env VAR, --password-file F (mqtt; the password is
                               secret), --mqtt-version 3.1.1|5, --keep-alive SECONDS
  --app-init-timeout (5s), --app-init-degraded (1000ms)

Exchanges and assertions (after the upgrade and any app init, in order):
  --send TEXT|hex:..|@FILE     send a message (binary with --binary); repeatable
  --expect-contains S, --expect-regex R, --expect-equals S, --expect-json 'POINTER=VALUE'
                               the next message must match (applies to the preceding --send)
  --script FILE                steps from JSON: {"steps":[{"send":"..","expect":{"contains":".."}}]}
  --expect-close CODES         success is the server closing with one of CODES (4401, 4400-4499)

Round trip:
  --rtt none|echo|any|ping|app none (default): handshake only; echo: the reply must equal the
                               payload; any: any data frame (servers that speak first);
                               ping: a WebSocket ping answered by a pong with the same payload
  --payload TEXT               payload for echo and ping (default "wsprobe")
  --binary                     send the echo payload as a binary frame
  --max-message BYTES          largest message accepted (default 1048576)

Deadlines and thresholds (500, 500ms, 2s):
  --dns-timeout, --connect-timeout, --tls-timeout, --upgrade-timeout (default 5s each)
  --rtt-timeout (default 5s: the hard down line), --close-timeout (2s), --timeout (overall, 20s)
  --handshake-degraded (default 1000ms), --rtt-degraded (200ms), --connect-degraded (off)
  --retries N                  try again up to N times after a down result (attempts reported)

Output:
  --json                       one JSON object (fields in docs/json-result.md)
  -v, --verbose                also print the request and response heads, secrets redacted
  --color, --no-color          colour (default: only on a terminal)
)";
}

} // namespace wsp::cli
