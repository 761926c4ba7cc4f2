// The lab's answers over HTTP/2: RFC 9113 §3.4 preface detection, RFC 8441 §4-§5 request checks,
// and the scenario table mapped onto streams (2xx, status answers, RST_STREAM, GOAWAY).
#include "tools/lab/h2_routes.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

#include "h2/error.h"
#include "ws/frame.h"

namespace wsp::lab {
namespace {

// RFC 6455 §5.2: FIN + binary with a 64-bit length of 2^62 (a well-formed header, an absurd size).
constexpr std::array<std::uint8_t, 10> oversized_header{0x82, 0x7F, 0x40, 0, 0, 0, 0, 0, 0, 0};
// RFC 6455 §5.7's masked "Hello" with RSV1-3 set: reserved bits (§5.2) and a server mask (§5.1).
constexpr std::array<std::uint8_t, 11> malformed_frame{0xF1, 0x85, 0x37, 0xFA, 0x21, 0x3D,
                                                       0x7F, 0x9F, 0x4D, 0x51, 0x58};

constexpr std::uint32_t default_reset_code = h2::refused_stream;
constexpr std::uint32_t default_goaway_code = h2::internal_error;

char lower(char c) noexcept
{
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept
{
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

// `code=N` in a query (decimal or 0x-prefixed hex, up to 2^32-1), else `fallback`.
std::uint32_t code_param(std::string_view query, std::uint32_t fallback) noexcept
{
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        if (pair.starts_with("code=")) {
            std::string_view v = pair.substr(5);
            int base = 10;
            if (v.starts_with("0x") || v.starts_with("0X")) {
                v.remove_prefix(2);
                base = 16;
            }
            std::uint32_t n = 0;
            const auto r = std::from_chars(v.data(), v.data() + v.size(), n, base);
            return !v.empty() && r.ec == std::errc{} && r.ptr == v.data() + v.size() ? n : fallback;
        }
        if (amp == std::string_view::npos) {
            break;
        }
        query.remove_prefix(amp + 1);
    }
    return fallback;
}

bool has_control_char(std::string_view s) noexcept
{
    return std::any_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return (u < 0x20 && u != '\t') || u == 0x7F;
    });
}

void respond_text(h2_plan& p, int status, std::string body)
{
    p.action = h2_action::respond;
    p.status = status;
    p.headers.push_back({"content-type", "text/plain; charset=utf-8"});
    p.body = "wsprobe-lab: " + std::move(body) + "\n";
}

// RFC 8441 §4: a WebSocket is bootstrapped by CONNECT with :protocol websocket; RFC 6455 §4.2.1
// item 6 (applied by RFC 8441 §5): version 13. True when the request may get a WebSocket.
bool check_extended_connect(const h2::event& req, h2_plan& p)
{
    const auto method = h2::find_header(req, ":method");
    const auto protocol = h2::find_header(req, ":protocol");
    if (method != std::optional<std::string_view>("CONNECT") || !protocol ||
        !iequals(*protocol, "websocket")) {
        respond_text(p, 400, "this path wants an extended CONNECT with :protocol websocket (RFC 8441)");
        return false;
    }
    const auto version = h2::find_header(req, "sec-websocket-version");
    if (!version) {
        respond_text(p, 400, "missing sec-websocket-version");
        return false;
    }
    if (*version != "13") {
        // RFC 6455 §4.4: a version mismatch names the versions the server supports.
        respond_text(p, 426, "unsupported sec-websocket-version; this server speaks 13");
        p.headers.push_back({"sec-websocket-version", "13"});
        return false;
    }
    return true;
}

void plan_status(h2_plan& p, int status)
{
    if (status < 200) {
        // RFC 9113 §8.1: 1xx answers are interim; a stream needs a final status.
        respond_text(p, 501, "interim statuses are not a final answer over HTTP/2");
        return;
    }
    p.action = h2_action::respond;
    p.status = status;
    if (status == 429) {
        p.headers.push_back({"retry-after", "30"});
    } else if (status == 401) {
        p.headers.push_back({"www-authenticate", "Bearer"});
    }
    // RFC 9110 §15.3.5, §15.4.5: 204 and 304 carry no content.
    if (status != 204 && status != 304) {
        p.headers.push_back({"content-type", "text/plain; charset=utf-8"});
        p.body = "wsprobe-lab: status " + std::to_string(status) + " (scenario /status/N)\n";
    }
}

// The scenario of an accepted stream: first frames and what the lab does afterwards.
void plan_accept(h2_plan& p, const scenario& sc, const h2::event& req)
{
    p.action = h2_action::accept;
    p.status = 200;
    const auto offered = h2::find_header(req, "sec-websocket-protocol");
    if (sc.first_subprotocol && offered) {
        p.subprotocol = std::string(first_offered_subprotocol(*offered));
    }
    switch (sc.kind) {
    case scenario_kind::subprotocol:
        if (has_control_char(sc.select)) {
            respond_text(p, 400, "select= must not contain control characters");
            return;
        }
        p.subprotocol = sc.select;
        break;
    case scenario_kind::welcome: {
        p.first_bytes.resize(ws::header_size(sc.message.size(), false) + sc.message.size());
        auto n = ws::build_text(p.first_bytes, sc.message, std::nullopt);
        p.first_bytes.resize(n ? *n : 0);
        break;
    }
    case scenario_kind::close_after_upgrade:
        append_close_frame(p.first_bytes, sc.code, sc.reason);
        p.mode = ws_mode::await_close;
        break;
    case scenario_kind::oversized_frame:
        p.first_bytes.assign(oversized_header.begin(), oversized_header.end());
        p.mode = ws_mode::await_close;
        break;
    case scenario_kind::malformed_frame:
        p.first_bytes.assign(malformed_frame.begin(), malformed_frame.end());
        p.mode = ws_mode::await_close;
        break;
    // Over h2 the lab reads every DATA frame either way (flow control), so silent and blackhole
    // both take and drop what arrives and never answer.
    case scenario_kind::silent:
    case scenario_kind::blackhole:
        p.mode = ws_mode::discard;
        break;
    case scenario_kind::drop_after_upgrade:
        p.mode = ws_mode::drop_on_first;
        break;
    case scenario_kind::app:
        if (sc.app) {
            p.mode = ws_mode::app;
            p.app = sc.app;
            p.subprotocol = std::string(select_app_subprotocol(*sc.app, offered.value_or("")));
        }
        break;
    case scenario_kind::slow_upgrade:
        p.delay_before_ms = sc.ms;
        break;
    case scenario_kind::slow_echo:
        p.reply_delay_ms = sc.ms;
        break;
    case scenario_kind::idle_kill:
        p.kill = true;
        p.kill_after_ms = sc.ms;
        break;
    default:
        break;
    }
}

} // namespace

preface_match match_h2_preface(std::span<const std::uint8_t> first) noexcept
{
    const std::size_t n = std::min(first.size(), h2_client_preface.size());
    for (std::size_t i = 0; i < n; ++i) {
        if (first[i] != static_cast<std::uint8_t>(h2_client_preface[i])) {
            return preface_match::no;
        }
    }
    return n == h2_client_preface.size() ? preface_match::full : preface_match::partial;
}

h2_plan plan_h2_request(const h2::event& request)
{
    h2_plan p;
    p.method = std::string(h2::find_header(request, ":method").value_or("-"));
    const std::string_view target = h2::find_header(request, ":path").value_or("");
    const auto q = target.find('?');
    const std::string_view path = target.substr(0, q);
    const std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
    p.path = path.empty() ? std::string("-") : std::string(path);

    if (path == "/h2/reset" || path == "/reset") {
        p.routed = true;
        p.kind = scenario_kind::reset_handshake;
        p.scenario_name = "h2_reset";
        p.action = h2_action::reset;
        p.error_code = code_param(query, default_reset_code);
        return p;
    }
    if (path == "/h2/goaway") {
        p.routed = true;
        p.kind = scenario_kind::reset_handshake;
        p.scenario_name = "h2_goaway";
        p.action = h2_action::goaway;
        p.error_code = code_param(query, default_goaway_code);
        return p;
    }
    const auto sc = route(target);
    if (!sc) {
        respond_text(p, 404, "no scenario at this path (wsprobe-lab --list)");
        return p;
    }
    p.routed = true;
    p.kind = sc->kind;
    p.scenario_name = to_string(sc->kind);
    switch (sc->kind) {
    case scenario_kind::status:
        plan_status(p, sc->status);
        return p;
    case scenario_kind::redirect:
        if (has_control_char(sc->location)) {
            respond_text(p, 400, "to= must not contain control characters");
            return p;
        }
        p.action = h2_action::respond;
        p.status = 302;
        p.headers.push_back({"location", sc->location});
        return p;
    case scenario_kind::bad_accept:
    case scenario_kind::no_upgrade:
    case scenario_kind::no_connection:
    case scenario_kind::garbage:
        respond_text(p, 501, "this scenario exists only over HTTP/1.1 (wsprobe-lab --list)");
        return p;
    default:
        break;
    }
    if (!check_extended_connect(request, p)) {
        return p;
    }
    plan_accept(p, *sc, request);
    return p;
}

std::string describe_h2_routes()
{
    return "\nHTTP/2 (RFC 8441; h2c with prior knowledge on ws:// ports, ALPN h2 on the TLS listener h2):\n"
           "  --h2-connect-protocol on|off|absent sets SETTINGS_ENABLE_CONNECT_PROTOCOL for the run\n"
           "/h2/reset?code=N           RST_STREAM with error code N (default 0x7 REFUSED_STREAM)\n"
           "                           instead of answering the extended CONNECT (/reset too)\n"
           "/h2/goaway?code=N          GOAWAY with error code N (default 0x2 INTERNAL_ERROR) instead\n"
           "                           of an answer, then the connection closes\n"
           "/status/N, /redirect       answer N (or 302) on the stream, END_STREAM\n"
           "/echo, /welcome, /subprotocol, /close-after-upgrade, /oversized-frame, /malformed-frame,\n"
           "/silent, /blackhole, /slow-upgrade, /slow-echo, /idle-kill, /drop\n"
           "                           as over HTTP/1.1, with 200 for 101; /idle-kill and /drop end\n"
           "                           the stream (END_STREAM, RST_STREAM CANCEL) without a close frame\n"
           "/app/...                   the app-protocol servers; a drop ends the stream (END_STREAM)\n"
           "/bad-accept, /no-upgrade, /no-connection, /garbage\n"
           "                           HTTP/1.1 only: 501 over h2\n";
}

} // namespace wsp::lab
