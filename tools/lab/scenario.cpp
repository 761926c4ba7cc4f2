// Request path -> lab scenario routing (the table in scenario.h) and the --list text.
#include "tools/lab/scenario.h"

#include <charconv>

#include "tools/lab/h2_routes.h"

namespace wsp::lab {
namespace {


template <class Int>
Int number_param(std::string_view query, std::string_view key, Int fallback, Int max)
{
    auto v = query_param(query, key);
    if (!v) {
        return fallback;
    }
    Int n{};
    const auto r = std::from_chars(v->data(), v->data() + v->size(), n);
    if (r.ec != std::errc{} || r.ptr != v->data() + v->size() || n > max) {
        return fallback;
    }
    return n;
}

} // namespace

std::optional<std::string> query_param(std::string_view query, std::string_view key)
{
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto pair = query.substr(0, amp);
        const auto eq = pair.find('=');
        if (pair.substr(0, eq) == key) {
            std::string out;
            const auto raw = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
            for (std::size_t i = 0; i < raw.size(); ++i) {
                if (raw[i] == '%' && i + 2 < raw.size()) {
                    unsigned v = 0;
                    const auto* end = raw.data() + i + 3;
                    const auto r = std::from_chars(raw.data() + i + 1, end, v, 16);
                    if (r.ec == std::errc{} && r.ptr == end) {
                        out += static_cast<char>(v);
                        i += 2;
                        continue;
                    }
                }
                out += raw[i] == '+' ? ' ' : raw[i];
            }
            return out;
        }
        if (amp == std::string_view::npos) {
            break;
        }
        query.remove_prefix(amp + 1);
    }
    return std::nullopt;
}

std::optional<scenario> route(std::string_view target)
{
    const auto q = target.find('?');
    const std::string_view path = target.substr(0, q);
    const std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
    scenario s;
    const auto ms = [&](std::uint32_t fallback) { return number_param<std::uint32_t>(query, "ms", fallback, 600'000); };
    if (path == "/" || path == "/echo") {
        s.kind = scenario_kind::echo;
    } else if (path == "/welcome") {
        s.kind = scenario_kind::welcome;
        s.message = query_param(query, "text").value_or("welcome");
    } else if (path.starts_with("/status/")) {
        std::uint16_t code = 0;
        const auto digits = path.substr(8);
        const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), code);
        if (r.ec != std::errc{} || r.ptr != digits.data() + digits.size() || code < 100 || code > 599 ||
            code == 101) {
            return std::nullopt;
        }
        s.kind = scenario_kind::status;
        s.status = code;
    } else if (path == "/redirect") {
        s.kind = scenario_kind::redirect;
        s.status = 302;
        s.location = query_param(query, "to").value_or("/echo");
    } else if (path == "/bad-accept") {
        s.kind = scenario_kind::bad_accept;
    } else if (path == "/no-upgrade") {
        s.kind = scenario_kind::no_upgrade;
    } else if (path == "/no-connection") {
        s.kind = scenario_kind::no_connection;
    } else if (path == "/subprotocol") {
        s.kind = scenario_kind::subprotocol;
        s.select = query_param(query, "select").value_or("");
    } else if (path == "/close-after-upgrade") {
        s.kind = scenario_kind::close_after_upgrade;
        s.code = number_param<std::uint16_t>(query, "code", 4401, 4999);
        s.reason = query_param(query, "reason").value_or("unauthorized");
    } else if (path == "/silent") {
        s.kind = scenario_kind::silent;
    } else if (path == "/blackhole") {
        s.kind = scenario_kind::blackhole;
    } else if (path == "/slow-upgrade") {
        s.kind = scenario_kind::slow_upgrade;
        s.ms = ms(1500);
    } else if (path == "/slow-echo") {
        s.kind = scenario_kind::slow_echo;
        s.ms = ms(300);
    } else if (path == "/idle-kill") {
        s.kind = scenario_kind::idle_kill;
        s.ms = ms(100);
    } else if (path == "/garbage") {
        s.kind = scenario_kind::garbage;
    } else if (path == "/oversized-frame") {
        s.kind = scenario_kind::oversized_frame;
    } else if (path == "/malformed-frame") {
        s.kind = scenario_kind::malformed_frame;
    } else if (path == "/reset") {
        s.kind = scenario_kind::reset_handshake;
    } else if (path == "/drop") {
        s.kind = scenario_kind::drop_after_upgrade;
    } else if (auto a = route_app(target)) {
        s.kind = scenario_kind::app;
        s.app = std::move(*a);
    } else {
        return std::nullopt;
    }
    s.first_subprotocol = query_param(query, "subprotocol") == std::optional<std::string>("first");
    return s;
}

std::string_view to_string(scenario_kind kind) noexcept
{
    switch (kind) {
    case scenario_kind::echo: return "echo";
    case scenario_kind::welcome: return "welcome";
    case scenario_kind::status: return "status";
    case scenario_kind::redirect: return "redirect";
    case scenario_kind::bad_accept: return "bad_accept";
    case scenario_kind::no_upgrade: return "no_upgrade";
    case scenario_kind::no_connection: return "no_connection";
    case scenario_kind::subprotocol: return "subprotocol";
    case scenario_kind::close_after_upgrade: return "close_after_upgrade";
    case scenario_kind::silent: return "silent";
    case scenario_kind::blackhole: return "blackhole";
    case scenario_kind::slow_upgrade: return "slow_upgrade";
    case scenario_kind::slow_echo: return "slow_echo";
    case scenario_kind::idle_kill: return "idle_kill";
    case scenario_kind::garbage: return "garbage";
    case scenario_kind::oversized_frame: return "oversized_frame";
    case scenario_kind::malformed_frame: return "malformed_frame";
    case scenario_kind::reset_handshake: return "reset";
    case scenario_kind::drop_after_upgrade: return "drop";
    case scenario_kind::app: return "app";
    }
    return "unknown";
}

std::string describe_routes()
{
    return "/echo                      healthy echo server (pings answered, clean close)\n"
           "  ?subprotocol=first        (any healthy 101) select the first offered subprotocol\n"
           "/welcome?text=T            sends T right after the 101, then echoes\n"
           "/status/N                  answers the upgrade with status N (200, 401, 403, 429, 500, 503...)\n"
           "/redirect?to=PATH          302 Found with Location\n"
           "/bad-accept                101 with a wrong Sec-WebSocket-Accept\n"
           "/no-upgrade                101 without the Upgrade header (a proxy stripped it)\n"
           "/no-connection             101 without the Connection header\n"
           "/subprotocol?select=P      selects subprotocol P whatever was offered\n"
           "/close-after-upgrade?code=4401&reason=R   closes with code right after the 101\n"
           "/silent                    101, then never sends anything\n"
           "/blackhole                 101, then reads and drops every frame\n"
           "/slow-upgrade?ms=N         waits N ms before the 101\n"
           "/slow-echo?ms=N            echoes each message after N ms\n"
           "/idle-kill?ms=N            drops TCP after N ms without a close frame\n"
           "/garbage                   answers with bytes that are not HTTP\n"
           "/oversized-frame           101, then a frame header claiming 2^62 bytes\n"
           "/malformed-frame           101, then a frame with reserved bits and a mask\n"
           "/reset                     reads the request, then resets the connection\n"
           "/drop                      101, then drops TCP on the first message\n" +
           describe_app_routes() + describe_h2_routes();
}

} // namespace wsp::lab
